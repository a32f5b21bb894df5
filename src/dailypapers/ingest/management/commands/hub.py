"""`dailypapers hub refresh`: the Hugging Face models, datasets and Spaces citing feed papers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from dailypapers.ingest import hub


class Command(BaseCommand):
    help = (
        "Ask the Hugging Face Hub which models, datasets and Spaces cite the papers of the Daily "
        "feed that are due (never asked, or not for a day while new, a week, a month later), "
        "politely and with conditional requests, and store the counts and the most liked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument(
            "--max-requests",
            type=int,
            default=None,
            help="At most this many requests (three a paper); DAILYPAPERS_HUB_MAX_REQUESTS.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.HUB_LINKS:
            self.stdout.write("Hub links are off (DAILYPAPERS_HUB_LINKS=false).")
            return
        with hub.make_client() as client:
            result = hub.refresh(client, max_requests=options["max_requests"])
        self.stdout.write(f"Hugging Face Hub: {hub.summary(result)}.")
