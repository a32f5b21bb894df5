"""`dailypapers submit ARXIV_ID [--curator]`: add a paper to today's feed (fetched if new)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.core.http import FetchError
from dailypapers.ingest.submit import SubmitError, submit_paper


class Command(BaseCommand):
    help = "Submit a paper by arXiv id (2101.12345, hep-th/9901001, or an arxiv.org URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("arxiv_id")
        parser.add_argument("--user", help="Username recorded as the submitter.")
        parser.add_argument(
            "--curator",
            action="store_true",
            help="Add it as a curator: papers of any age (not only the submission window).",
        )

    def handle(self, *args: object, **options: Any) -> None:
        user = None
        if options["user"]:
            users = get_user_model().objects
            try:
                user = users.get_by_natural_key(options["user"])
            except users.model.DoesNotExist:
                raise CommandError(f"no user named {options['user']!r}") from None
        try:
            submission = submit_paper(
                str(options["arxiv_id"]), user=user, curator=bool(options["curator"])
            )
        except SubmitError as exc:
            raise CommandError(str(exc)) from None
        except FetchError as exc:
            raise CommandError(f"arXiv could not be reached: {exc}") from None
        paper, day = submission.paper, submission.entry.day
        if submission.created:
            self.stdout.write(f"Added {paper.arxiv_id} to today's feed: {paper.title}")
        else:
            self.stdout.write(f"{paper.arxiv_id} is already in the feed (since {day}).")
