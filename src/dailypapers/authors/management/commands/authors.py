"""`dailypapers authors sync|rebuild|status`: the author index behind the author pages;
`dailypapers authors recheck`: claims and memberships accepted by email domain, checked again
under the institution-domain rule (`authors/recheck.py`)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from dailypapers.authors import index, recheck
from dailypapers.authors.models import Author, AuthorIndex, PaperAuthor
from dailypapers.papers import changes


class Command(BaseCommand):
    help = (
        "The author index (what author pages read) follows the change log in the worker; "
        "sync applies it now, rebuild derives it again from every paper, status tells how far "
        "behind it is; recheck checks again the claims and memberships accepted by email domain "
        "(those that no longer verify wait for a curator, and their holders are told)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sync", "rebuild", "status", "recheck"])
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        parser.add_argument(
            "--dry-run", action="store_true", help="recheck: say what would change, change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "recheck":
            done = recheck.recheck(dry_run=options["dry_run"])
            verb = "would wait" if options["dry_run"] else "wait"
            self.stdout.write(
                f"Checked {done.checked:,} claims and memberships accepted by email domain: "
                f"{done.kept:,} still verified, {done.pending:,} {verb} for a curator again; "
                f"{done.mailed:,} holders told by email."
            )
            return
        if options["action"] == "status":
            state = AuthorIndex.objects.filter(pk=1).first()
            cursor = changes.Cursor.from_json(state.cursor) if state else None
            pending, oldest = changes.backlog(cursor, kinds=index.KINDS) if cursor else (0, None)
            self.stdout.write(
                f"{Author.objects.count():,} written names, {PaperAuthor.objects.count():,} links; "
                + (
                    f"{pending:,} changes to apply"
                    + (f" (oldest {oldest:%Y-%m-%d %H:%M:%S})" if oldest else "")
                    if cursor
                    else "not built yet (the worker builds it)"
                )
            )
            return
        bar = tqdm(
            unit="paper", desc="authors", disable=options["no_progress"], file=self.stderr._out
        )

        def progress(done: int, total: int) -> None:
            bar.total, bar.n = total, done
            bar.refresh()

        started = time.perf_counter()
        with bar:
            if options["action"] == "rebuild":
                count = index.rebuild(progress)
            else:
                count = index.catch_up(progress=progress)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Indexed the authors of {count:,} papers in {elapsed:.1f}s.")
