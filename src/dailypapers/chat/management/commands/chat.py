"""`dailypapers chat add|list|test|remove|send-due`: the operator's site-wide channels."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.chat import channels, sending
from dailypapers.chat.models import Channel
from dailypapers.library.models import Collection


class Command(BaseCommand):
    help = (
        "Team chat channels (docs/chat.md). `chat add URL --daily --weekly` adds a site-wide "
        "channel; `chat list` shows every channel (URLs masked) and its last error; `chat test "
        "ID` sends a test message now; `chat remove ID`; `chat send-due` plans and sends what "
        "is due (the worker does it every 5 minutes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["add", "list", "test", "remove", "send-due"])
        parser.add_argument("target", nargs="?", help="add: the Apprise URL; test, remove: id")
        parser.add_argument("--name", default="", help="add: a name to recognise it by")
        parser.add_argument("--daily", action="store_true", help="add: the day's picks")
        parser.add_argument("--weekly", action="store_true", help="add: the weekly summary")
        parser.add_argument(
            "--collection", type=int, help="add: additions to this public collection (its id)"
        )
        parser.add_argument(
            "--owner",
            help="add: a user name, to make a personal channel of theirs (their rules apply)",
        )
        parser.add_argument(
            "--followed", action="store_true", help="add --owner: followed authors and searches"
        )

    def handle(self, *args: object, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self.list()
        elif action == "send-due":
            self.stdout.write(str(sending.run()))
        elif action == "add":
            self.add(options)
        else:
            channel = self.channel(options["target"])
            if action == "remove":
                channel.delete()
                self.stdout.write(f"Removed channel {channel.pk}.")
            else:
                error = sending.send_test(channel)
                if error is not None:
                    raise CommandError(f"channel {channel.pk}: {error}")
                self.stdout.write(f"Sent a test message to channel {channel.pk}.")

    def channel(self, target: str | None) -> Channel:
        if not target or not (target.isascii() and target.isdigit() and len(target) < 19):
            raise CommandError("Give the channel's id (see `dailypapers chat list`).")
        found = Channel.objects.filter(pk=int(target)).first()
        if found is None:
            raise CommandError(f"No channel {target}.")
        return found

    def add(self, options: dict[str, Any]) -> None:
        if not options["target"]:
            raise CommandError("Give the channel's Apprise URL, e.g. slack://TokenA/TokenB/TokenC")
        owner = None
        if options["owner"]:
            owner = get_user_model().objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No user {options['owner']!r}.")
        collection = None
        if options["collection"] is not None:
            collection = Collection.objects.filter(pk=options["collection"]).first()
            if collection is None:
                raise CommandError(f"No collection {options['collection']}.")
        try:
            channel = channels.add(
                options["target"],
                owner=owner,
                name=options["name"],
                daily=options["daily"],
                weekly=options["weekly"],
                followed=options["followed"],
                collection=collection,
            )
        except channels.ChannelError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Added channel {channel.pk}: {channel.masked}")

    def list(self) -> None:
        for c in Channel.objects.select_related("owner", "collection"):
            whose = c.owner.get_username() if c.owner else "site-wide"
            state = "enabled" if c.enabled else "disabled"
            receives = ", ".join(c.receives()) or "nothing"
            self.stdout.write(f"{c.pk}\t{whose}\t{state}\t{c.masked}\t{receives}")
            if c.last_error:
                self.stdout.write(f"\tlast error: {c.last_error}")
