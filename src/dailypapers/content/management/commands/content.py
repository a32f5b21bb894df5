"""`dailypapers content fetch|import|status`: PDFs into thumbnails, text and keywords."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from tqdm import tqdm

from dailypapers.content import services as service
from dailypapers.content.models import PaperContent
from dailypapers.core.http import make_client
from dailypapers.papers.ids import parse_arxiv_id
from dailypapers.papers.models import Paper


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since {value!r}: expected a date as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "fetch: download the PDFs of the papers that need one (the Daily feed's, see "
        "DAILYPAPERS_CONTENT) politely from arXiv and make their thumbnails, text, keywords and "
        "summary; import ARXIV_ID FILE.pdf: the same from a local file; status: counts by status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["fetch", "import", "status"])
        parser.add_argument("rest", nargs="*", metavar="ARG", help="With import: ARXIV_ID FILE.pdf")
        parser.add_argument("--id", action="append", default=[], help="Fetch this paper (repeat).")
        parser.add_argument("--since", help="Only papers listed or in the feed since YYYY-MM-DD.")
        parser.add_argument("--limit", type=int, default=0, help="At most this many papers.")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: str, **options: Any) -> None:
        action = options["action"]
        if action == "import":
            self._import(list(options["rest"]))
        elif options["rest"]:
            raise CommandError(f"{action} takes no positional arguments")
        elif action == "fetch":
            self._fetch(options)
        else:
            self._status()

    def _paper(self, text: str) -> Paper:
        try:
            arxiv_id = parse_arxiv_id(text).id
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
        if paper is None:
            raise CommandError(
                f"{arxiv_id} is not in the catalogue; add it first (dailypapers submit {arxiv_id}, "
                "or an import)"
            )
        return paper

    def _import(self, args: list[str]) -> None:
        if len(args) != 2:
            raise CommandError("usage: dailypapers content import ARXIV_ID FILE.pdf")
        paper, path = self._paper(args[0]), Path(args[1])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        row = service.import_file(paper, path)
        self._report(paper, row)
        if row.status not in PaperContent.RENDERED:
            raise CommandError(f"{paper.key}: {row.get_status_display()}: {row.message}")

    def _report(self, paper: Paper, row: PaperContent) -> None:
        self.stdout.write(f"{paper.key}: {row.status} ({row.message})")

    def _fetch(self, options: dict[str, Any]) -> None:
        found = [self._paper(text) for text in options["id"]]
        ids = [p.arxiv_id for p in found if p.arxiv_id]  # all: found by their arXiv id
        since = _date(options["since"]) if options["since"] else None
        papers = service.due(since=since, ids=ids)
        if options["limit"]:
            papers = papers[: options["limit"]]
        total = papers.count()
        if not total:
            self.stdout.write("No paper needs its PDF fetched.")
            return
        bar = tqdm(total=total, unit="paper", disable=options["no_progress"], file=self.stderr._out)

        def progress(done: int, _total: int) -> None:
            bar.n = done
            bar.refresh()

        with bar, make_client() as client:
            counts = service.run(papers.iterator(), client, progress, total)
        summary = ", ".join(f"{count} {status}" for status, count in counts.most_common())
        self.stdout.write(f"Fetched {total} paper{'s' if total != 1 else ''}: {summary}.")

    def _status(self) -> None:
        rows = PaperContent.objects.values("status").annotate(n=Count("id")).order_by("-n")
        names = dict(PaperContent.STATUSES)
        if not rows:
            self.stdout.write("No PDF fetched yet.")
        for row in rows:
            self.stdout.write(f"{row['n']:>8,}  {row['status']:<13} {names.get(row['status'], '')}")
        waiting = service.due().count()
        self.stdout.write(f"{waiting:>8,}  to fetch now")
