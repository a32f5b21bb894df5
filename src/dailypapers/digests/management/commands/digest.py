"""`dailypapers digest send [--dry-run] [--to ADDRESS] [--preview DIR] [--frequency F]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.forms import ValidationError

from dailypapers.digests import mail, sending
from dailypapers.digests.models import Delivery, Subscription


class Command(BaseCommand):
    help = "Send the email digests that are due (what the scheduled job does), or preview them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send"])
        parser.add_argument(
            "--frequency", choices=["daily", "weekly"], action="append", help="Only this one."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be sent; send nothing."
        )
        parser.add_argument("--to", help="Send the current digest to this address only, now.")
        parser.add_argument("--preview", help="Write the current digests as .eml files to DIR.")

    def handle(self, *args: object, **options: Any) -> None:
        frequencies = tuple(options["frequency"] or ("daily", "weekly"))
        periods = [p for p in (sending.current_period(f) for f in frequencies) if p]
        if not periods:
            raise CommandError("There are no papers in the feed yet: nothing to send.")
        if options["to"]:
            self._send_to(options["to"], periods[0])
        elif options["preview"]:
            self._preview(Path(options["preview"]), periods)
        elif options["dry_run"]:
            for digest in periods:
                active = Subscription.objects.filter(
                    frequency=digest.frequency,
                    confirmed_at__isnull=False,
                    unsubscribed_at__isnull=True,
                    bounced_at__isnull=True,
                ).exclude(deliveries__period=digest.key, deliveries__status=Delivery.SENT)
                self.stdout.write(f"{digest.key}: {active.count()} digest(s) would be sent.")
        else:
            for digest in periods:
                planned = sending.plan(digest)
                self.stdout.write(f"{digest.key}: {planned} new delivery(ies) planned.")
            report = sending.send_due()
            self.stdout.write(f"Digests: {report}.")

    def _send_to(self, address: str, digest: sending.DigestPeriod) -> None:
        try:
            validate_email(address)
        except ValidationError:
            raise CommandError(f"{address!r} is not an email address") from None
        # The address's own subscription when it has one, so that its links work; otherwise a
        # preview, whose links open a page that says so.
        sample = Subscription.objects.filter(email=address.strip().lower()).first()
        if sample is None:
            sample = Subscription(email=address, frequency=digest.frequency, token="preview")
        content = sending.Content.load(digest)
        message = mail.build(
            sample, sending.context_for(content, sample), message_id=mail.preview_message_id()
        )
        message.send()
        self.stdout.write(f"Sent the {digest.key} digest to {address}.")

    def _preview(self, directory: Path, periods: list[sending.DigestPeriod]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for digest in periods:
            sample = Subscription(
                email="preview@example.org", frequency=digest.frequency, token="preview"
            )
            content = sending.Content.load(digest)
            message = mail.build(
                sample, sending.context_for(content, sample), message_id=mail.preview_message_id()
            )
            name = digest.key.replace(":", "-")
            (directory / f"{name}.eml").write_bytes(message.message().as_bytes())
            html = message.alternatives[0][0]
            assert isinstance(html, str)  # mail.build attaches the rendered page
            (directory / f"{name}.html").write_text(html)
            (directory / f"{name}.txt").write_text(str(message.body))
            self.stdout.write(f"Wrote {directory / name}.eml, .html and .txt")
