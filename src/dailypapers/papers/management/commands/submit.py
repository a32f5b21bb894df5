"""`dailypapers submit ARXIV_ID`: add a paper to today's feed, fetching it from arXiv if needed."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.papers.sources.http import FetchError
from dailypapers.papers.submit import SubmitError, submit_paper


class Command(BaseCommand):
    help = "Submit a paper by arXiv id (2101.12345, hep-th/9901001, or an arxiv.org URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("arxiv_id")
        parser.add_argument("--user", help="Username recorded as the submitter.")

    def handle(self, *args: object, **options: object) -> None:
        user = None
        if options["user"]:
            users = get_user_model().objects
            try:
                user = users.get_by_natural_key(options["user"])
            except users.model.DoesNotExist:
                raise CommandError(f"no user named {options['user']!r}") from None
        try:
            paper = submit_paper(str(options["arxiv_id"]), user=user)
        except SubmitError as exc:
            raise CommandError(str(exc)) from None
        except FetchError as exc:
            raise CommandError(f"arXiv could not be reached: {exc}") from None
        self.stdout.write(f"Added {paper.arxiv_id} to today's feed: {paper.title}")
