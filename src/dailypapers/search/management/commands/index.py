"""`dailypapers index rebuild|sync|follow|status`: the search indexes are derived data."""

from __future__ import annotations

import json
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from dailypapers.core import embedding
from dailypapers.papers import changes
from dailypapers.papers.models import ChangeConsumer, Paper
from dailypapers.search import fulltext, indexer, semantic
from dailypapers.search.models import PaperVector


class Command(BaseCommand):
    help = (
        "Rebuild this machine's search indexes from the database (full text, and the vectors "
        "of papers that have none or a stale one), bring them up to date once (sync) or "
        "continuously (follow: what every `serve` runs), or describe them and every node's lag."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "sync", "follow", "status"])
        parser.add_argument(
            "--all-vectors",
            action="store_true",
            help="With rebuild: embed every paper again, not only those without a current vector.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bars.")

    def _bar(self, desc: str, unit: str, hidden: bool) -> tuple[tqdm, Any]:
        bar = tqdm(unit=unit, desc=desc, disable=hidden, file=self.stderr._out)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        return bar, progress

    def _embed(self, options: dict[str, Any], everything: bool, rebuild_ann: bool) -> None:
        if not semantic.enabled():
            reason = semantic.unavailable_reason() or "DAILYPAPERS_SEMANTIC is off"
            self.stdout.write(f"No vectors: {reason}")
            return
        started = time.perf_counter()
        bar, progress = self._bar("vectors", "paper", options["no_progress"])
        with bar:
            count = semantic.sync(everything=everything, progress=progress)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Embedded {count:,} paper{'s' if count != 1 else ''} in {elapsed:.1f}s "
            f"({count / max(elapsed, 1e-9):,.1f}/s)."
        )
        if rebuild_ann or semantic.ann_needs_rebuild():
            started = time.perf_counter()
            bar, progress = self._bar("HNSW", "vector", options["no_progress"])
            with bar:
                size = semantic.build_ann(progress)
            if size:
                self.stdout.write(
                    f"Built the HNSW index of {size:,} vectors in "
                    f"{time.perf_counter() - started:.1f}s."
                )

    def handle(self, *args: object, **options: Any) -> None:
        started = time.perf_counter()
        if options["action"] == "rebuild":
            bar, progress = self._bar("full text", "paper", options["no_progress"])
            with bar:
                count = fulltext.rebuild(progress)
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"Indexed {count:,} papers in {elapsed:.1f}s ({count / max(elapsed, 1e-9):,.0f}/s)."
            )
            self._embed(options, everything=options["all_vectors"], rebuild_ann=True)
        elif options["action"] == "sync":
            count = indexer.catch_up(graph=False)
            self.stdout.write(f"Re-indexed {count:,} new or changed papers.")
            self._embed(options, everything=False, rebuild_ann=False)
        elif options["action"] == "follow":
            self._follow()
        else:
            path = fulltext.index_dir()
            try:
                meta = json.loads((path / "dailypapers.json").read_text())
            except (OSError, ValueError):
                self.stdout.write(
                    f"No search index at {path}: `dailypapers index rebuild` makes one."
                )
            else:
                # The live count of the index (the meta file's count is the last rebuild's).
                indexed = fulltext.FullTextIndex.get().index.searcher().num_docs
                lag = indexer.lag()
                behind = (
                    f"to be rebuilt: {lag.rebuild}"
                    if lag.rebuild
                    else f"{lag.pending:,} changes behind, oldest {lag.seconds:.0f}s old"
                    if lag.pending
                    else "up to date with the change log"
                )
                self.stdout.write(
                    f"Full-text index at {path}: {indexed:,} papers indexed of "
                    f"{Paper.objects.count():,} (schema {meta.get('schema')}; {behind})."
                )
            if semantic.enabled():
                total = Paper.objects.count()
                current = total - semantic.count_stale()
                self.stdout.write(
                    f"Semantic: {current:,} of {total:,} papers have an up-to-date vector "
                    f"({semantic.MODEL_KEY}; {PaperVector.objects.count():,} stored); "
                    f"model cache {embedding.model_dir()}."
                )
                self.stdout.write(
                    f"Embedding in bulk on: {embedding.bulk_device()}; "
                    f"{semantic.tokens_for(in_feed=False)} word pieces per catalogue paper, "
                    f"{semantic.tokens_for(in_feed=True)} per paper of the Daily feed."
                )
                try:
                    meta = (semantic.ann_dir() / "meta.json").read_text()
                except OSError:
                    meta = "none (semantic search is exact)"
                self.stdout.write(f"HNSW index at {semantic.ann_dir()}: {meta}")
            else:
                reason = semantic.unavailable_reason() or "DAILYPAPERS_SEMANTIC=false"
                self.stdout.write(f"Semantic: off. {reason}")
            self._consumers()

    def _consumers(self) -> None:
        rows = list(ChangeConsumer.objects.all())
        log = changes.identity()
        self.stdout.write(
            f"Change log: {changes.PaperChange.objects.count():,} changes kept "
            f"(epoch {log.epoch[:8]}); what each machine has applied:"
        )
        for row in rows:
            applied = f"{row.applied_at:%Y-%m-%d %H:%M:%S}" if row.applied_at else "never"
            behind = (
                f", the oldest made {row.oldest_pending_at:%Y-%m-%d %H:%M:%S}"
                if row.pending and row.oldest_pending_at
                else ""
            )
            self.stdout.write(
                f"  {row.name}: {row.pending:,} pending{behind}, last acknowledged {applied}"
            )
        if not rows:
            self.stdout.write("  (no machine has acknowledged yet)")

    def _follow(self) -> None:
        """Apply the change log every second until SIGTERM or SIGINT (what `serve` starts)."""
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"Following the change log into {fulltext.index_dir().parent}")
        self.stdout.flush()
        indexer.follow(stop)
