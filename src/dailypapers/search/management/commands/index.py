"""`dailypapers index rebuild|sync|status`: the search index is derived data."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from dailypapers.search import fulltext


class Command(BaseCommand):
    help = "Rebuild the search index from the database, bring it up to date, or describe it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "sync", "status"])
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: object, **options: Any) -> None:
        started = time.perf_counter()
        if options["action"] == "rebuild":
            bar = tqdm(
                unit="paper", desc="index", disable=options["no_progress"], file=self.stderr._out
            )

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            with bar:
                count = fulltext.rebuild(progress)
            rate = count / max(time.perf_counter() - started, 1e-9)
            self.stdout.write(
                f"Indexed {count:,} papers in {time.perf_counter() - started:.1f}s ({rate:,.0f}/s)."
            )
        elif options["action"] == "sync":
            count = fulltext.sync()
            self.stdout.write(f"Re-indexed {count:,} new or changed papers.")
        else:
            path = fulltext.index_dir()
            try:
                meta = json.loads((path / "dailypapers.json").read_text())
            except (OSError, ValueError):
                self.stdout.write(
                    f"No search index at {path}: `dailypapers index rebuild` makes one."
                )
                return
            self.stdout.write(f"Full-text index at {path}: {json.dumps(meta)}")
