"""`dailypapers ingest SOURCE --category C ...` and `dailypapers ingest status`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from dailypapers.core.conf import parse_categories, parse_upstreams
from dailypapers.core.http import PoliteClient, make_client
from dailypapers.ingest.harvest import KINDS, IngestError, run_source
from dailypapers.ingest.models import IngestState


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "Fetch papers now: from arXiv into the catalogue (listing, oaipmh, arxiv-api, per "
        "--category), from Hugging Face's daily papers into the Daily feed (hf), from the "
        "instances this one follows (upstream: DAILYPAPERS_UPSTREAMS, or --upstream URL); or "
        "show the sources' status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=[*KINDS, "status"])
        parser.add_argument(
            "--category",
            action="append",
            default=[],
            help="arXiv category (cs.LG, hep-th); repeat for several. oaipmh also takes a group "
            "(cs, math, physics).",
        )
        parser.add_argument(
            "--upstream",
            action="append",
            default=[],
            help="upstream: the base URL of an instance to pull now (repeatable); default: every "
            "one of DAILYPAPERS_UPSTREAMS.",
        )
        parser.add_argument(
            "--from",
            dest="from_date",
            help="oaipmh/arxiv-api/hf/upstream: start date (YYYY-MM-DD).",
        )
        parser.add_argument("--until", help="oaipmh/arxiv-api/hf/upstream: end date (YYYY-MM-DD).")
        parser.add_argument("--max", type=int, help="Stop after about this many papers.")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: object, **options: Any) -> None:
        if options["source"] == "status":
            self._status()
            return
        if options["source"] == "hf":
            if options["category"]:
                raise CommandError("hf takes no --category: it follows Hugging Face's whole feed")
            categories = [""]
        elif options["source"] == "upstream":
            categories = self._upstreams(options)
        elif not options["category"]:
            raise CommandError("give at least one --category (e.g. --category cs.LG)")
        else:
            try:
                categories = parse_categories(",".join(options["category"]))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        from_date = _date(options["from_date"]) if options["from_date"] else None
        until = _date(options["until"]) if options["until"] else None
        if from_date and until and from_date > until:
            raise CommandError("--from is after --until")
        failed = []
        with make_client() as client:
            for category in categories:
                failed += self._run(
                    str(options["source"]), category, client, from_date, until, options
                )
        if failed:
            raise CommandError(f"{len(failed)} source(s) failed: " + "; ".join(failed))

    def _run(
        self,
        kind: str,
        category: str,
        client: PoliteClient,
        from_date: dt.date | None,
        until: dt.date | None,
        options: dict[str, Any],
    ) -> list[str]:
        bar = tqdm(
            desc=f"{kind} {category}".strip(),
            unit="day" if kind in ("hf", "upstream") else "paper",
            disable=bool(options["no_progress"]),
            file=self.stderr._out,
        )

        def progress(done: int, total: int | None) -> None:
            if total is not None:
                bar.total = total
            bar.n = done
            bar.refresh()

        with bar:
            try:
                result = run_source(
                    kind,
                    category,
                    client=client,
                    from_date=from_date,
                    until=until,
                    max_results=options["max"],
                    progress=progress,
                )
            except IngestError as exc:
                self.stderr.write(f"error: {exc}")
                return [str(exc)]
        c = result.counts
        self.stdout.write(
            f"{result.name}: {result.fetched:,} papers in {result.pages} page(s): {c.new:,} new, "
            f"{c.updated:,} updated, {c.unchanged:,} unchanged, {c.stale:,} older versions "
            f"ignored, {result.withdrawn:,} withdrawn, {c.entered_feed:,} entered the Daily feed"
            + (
                f", {result.problems:,} malformed records left out (see the log)"
                if result.problems
                else ""
            )
            + "."
        )
        return []

    def _upstreams(self, options: dict[str, Any]) -> list[str]:
        if options["category"]:
            raise CommandError("upstream takes no --category: give --upstream URL")
        try:
            urls = parse_upstreams(",".join(options["upstream"])) or settings.UPSTREAMS
        except ValueError as exc:
            raise CommandError(f"--upstream: {exc}") from None
        if not urls:
            raise CommandError("no upstream: set DAILYPAPERS_UPSTREAMS or give --upstream URL")
        return list(urls)

    def _status(self) -> None:
        states = list(IngestState.objects.all())
        if not states:
            self.stdout.write("No source has run yet.")
            return
        now = timezone.now()
        for s in states:
            last = f"{s.last_run_at:%Y-%m-%d %H:%M}" if s.last_run_at else "never"
            due = (
                "due now"
                if not s.next_run_at or s.next_run_at <= now
                else f"{s.next_run_at:%Y-%m-%d %H:%M}"
            )
            health = f"FAILING ({s.failures}x): {s.last_error}" if s.failures else "ok"
            self.stdout.write(
                f"{s.name:<28} last run {last}  next {due}  papers {s.papers_seen:,}  {health}"
            )
            if s.cursor:
                self.stdout.write(f"{'':<28} cursor {s.cursor}")
