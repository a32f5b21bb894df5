"""`dailypapers import FORMAT PATH...`: import paper records with a progress bar and a summary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from dailypapers.ingest.formats import PARSERS
from dailypapers.ingest.importer import ImportFileError, Problem, expand_paths, import_files
from dailypapers.papers import changes
from dailypapers.papers.store import refresh_statistics

FORMATS_HELP = (
    "arxiv: arXiv metadata JSONL (gzip or plain; the arxiv-daily shards or the Kaggle "
    "snapshot); "
    "hf: Hugging Face daily papers (an /api/daily_papers JSON array, or flattened JSONL)"
)


class Command(BaseCommand):
    help = "Import papers from files. Re-importing is idempotent (upsert by arXiv id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=sorted(set(PARSERS) - {"demo"}), help=FORMATS_HELP)
        parser.add_argument("paths", nargs="+", help="Files, or directories of *.json* files.")
        feed = parser.add_mutually_exclusive_group()
        feed.add_argument(
            "--feed",
            dest="feed",
            action="store_const",
            const=True,
            help="Put every paper in the Daily feed too (arxiv: on its listing day). The "
            "default: hf records enter the feed (a curated source), arxiv records do not.",
        )
        feed.add_argument(
            "--no-feed",
            dest="feed",
            action="store_const",
            const=False,
            help="Add papers to the catalogue only, even hf records.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: object, **options: Any) -> None:
        try:
            files = expand_paths(options["paths"])
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        if not files:
            raise CommandError("no *.json* files found in the given paths")
        total_bytes = sum(Path(f).stat().st_size for f in files)
        bar = tqdm(
            total=total_bytes,
            unit="B",
            unit_scale=True,
            desc="import",
            disable=bool(options["no_progress"]),
            file=self.stderr._out,
        )
        failed: list[str] = []

        def problem(p: Problem) -> None:
            bar.write(f"skipped {p}", file=self.stderr._out)

        def file_error(path: Path, exc: ImportFileError) -> None:
            failed.append(str(exc))
            bar.write(f"error: {exc} (nothing from this file was imported)", file=self.stderr._out)

        started = time.perf_counter()
        with bar, changes.batched():  # the search index is brought up to date once, at the end
            result = import_files(
                options["format"],
                files,
                feed=options["feed"],
                on_bytes=bar.update,
                on_problem=problem,
                on_file_error=file_error,
            )
        if result.records:
            refresh_statistics()
        elapsed = time.perf_counter() - started
        c = result.counts
        rate = result.records / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            f"Imported {result.records:,} records from {result.files:,} file(s) in {elapsed:.1f}s "
            f"({rate:,.0f}/s): {c.new:,} new, {c.updated:,} updated, {c.unchanged:,} unchanged, "
            f"{c.stale:,} older versions ignored, {result.skipped:,} malformed skipped, "
            f"{c.entered_feed:,} entered the Daily feed"
            + (f", {len(failed)} file(s) failed" if failed else "")
            + "."
        )
        if failed:
            raise CommandError(f"{len(failed)} file(s) could not be imported; see the errors above")
