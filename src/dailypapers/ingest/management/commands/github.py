"""`dailypapers github refresh`: stars and last push of the feed papers' GitHub repositories."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dailypapers.ingest import github


class Command(BaseCommand):
    help = (
        "Look up the GitHub repositories linked as code by papers of the Daily feed (those not "
        "looked at for a day), politely and with conditional requests, and store their stars "
        "and last push. DAILYPAPERS_GITHUB_TOKEN raises GitHub's limit from 60 to 5,000 an hour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument(
            "--limit", type=int, default=500, help="At most this many repositories."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        repos = github.due_repos(limit=options["limit"])
        with github.make_client() as client:
            result = github.refresh(client, repos)
        self.stdout.write(f"GitHub: {github.summary(result)}.")
