"""`dailypapers restore PATH --yes`: replace the database's content with a backup's (and the
content files with an archive's)."""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.ops.backup import BackupError, restore_any
from dailypapers.papers import changes


class Command(BaseCommand):
    help = "Restore a backup made by `dailypapers backup`. Stop the server and worker first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--yes", action="store_true", help="Confirm: the current data is replaced."
        )

    def handle(self, *args: object, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("this replaces every row of the database: add --yes to confirm")
        try:
            what = restore_any(options["path"])
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        # Pages cached from the data as it was (a shared Redis cache outlives the restart).
        for cache in caches.all(initialized_only=False):
            cache.clear()
        # Every machine's indexes were made from the database as it was: they rebuild.
        changes.new_epoch()
        changes.papers_changed.send(sender=None)
        self.stdout.write(
            f"Restored {what} from {options['path']}; every machine's search index rebuilds "
            "from it."
        )
