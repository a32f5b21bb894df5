"""Import the 145k-paper arXiv corpus (the catalogue) and Hugging Face's daily papers (the Daily
feed), then time the listing pages' server time.

    python benchmarks/import_feed.py [--data ../shared/data] [--requests 200]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python benchmarks/import_feed.py --flush

Targets (issue 2): at least 5,000 papers/s into SQLite; the daily page with 50 papers p50 under
15 ms on a database of 145k papers; New on arXiv (a day of several hundred papers) likewise.
Uses a fresh SQLite file in a temporary directory unless
DATABASE_URL is set; then that database is emptied first, so `--flush` must be given too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared/data"))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--flush", action="store_true", help="Allow emptying DATABASE_URL.")
    args = parser.parse_args()
    if "DATABASE_URL" in os.environ and not args.flush:
        parser.error("DATABASE_URL is set: its data would be deleted; add --flush to proceed")

    tmp = tempfile.mkdtemp(prefix="dailypapers-bench-")
    os.environ.setdefault("DAILYPAPERS_DATA_DIR", tmp)
    os.environ.setdefault("DAILYPAPERS_PAGE_CACHE_SECONDS", "0")  # server time, not the cache
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from dailypapers.feed.models import DailyEntry
    from dailypapers.ingest.importer import import_files
    from dailypapers.papers.models import Paper
    from dailypapers.papers.store import refresh_statistics

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")

    files = sorted((Path(args.data) / "arxiv-daily").glob("*.jsonl.gz"))
    started = time.perf_counter()
    result = import_files("arxiv", files)
    refresh_statistics()  # as `dailypapers import` does after importing
    elapsed = time.perf_counter() - started
    print(
        f"import: {result.records:,} papers from {len(files)} files in {elapsed:.1f}s "
        f"= {result.records / elapsed:,.0f} papers/s (target >= 5,000/s)"
    )
    started = time.perf_counter()
    again = import_files("arxiv", files)
    elapsed = time.perf_counter() - started
    print(
        f"re-import (idempotent): {again.records:,} papers in {elapsed:.1f}s "
        f"= {again.records / elapsed:,.0f} papers/s, {again.counts.unchanged:,} unchanged"
    )
    hf = import_files("hf", [Path(args.data) / "hf-daily-papers" / "hf_daily_papers.jsonl"])
    print(f"Daily feed: {hf.counts.entered_feed:,} papers from Hugging Face's daily papers")
    print(
        f"papers in database: {Paper.objects.count():,}, in the feed {DailyEntry.objects.count():,}"
    )

    busiest = DailyEntry.objects.values("day").annotate(n=Count("id")).order_by("-n").first()
    day = busiest["day"]
    week = f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"
    listed = Paper.objects.values("listed_on").annotate(n=Count("id")).order_by("-n").first()
    client = Client(HTTP_HOST="127.0.0.1")
    pages = [
        (f"daily {day} ({busiest['n']} papers), votes", f"/papers/date/{day}"),
        ("daily, category cs.CV", f"/papers/date/{day}?category=cs.CV"),
        ("daily, trending", f"/papers/date/{day}?sort=trending"),
        (f"weekly {week}, votes", f"/papers/week/{week}"),
        (f"monthly {day:%Y-%m}, votes", f"/papers/month/{day:%Y-%m}"),
        ("trending page", "/papers/trending"),
        (f"new on arXiv {listed['listed_on']} ({listed['n']})", f"/arxiv/{listed['listed_on']}"),
        ("new on arXiv, page 2, by votes", f"/arxiv/{listed['listed_on']}?page=2&sort=votes"),
        ("new on arXiv, category cs.CV", f"/arxiv/{listed['listed_on']}?category=cs.CV"),
        ("paper page", f"/papers/{Paper.objects.filter(entry__day=day).first().arxiv_id}"),
    ]
    print(f"server time over {args.requests} requests each (Django test client, in-process):")
    for label, url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"  {label:<40} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {len(queries)} queries")
    sys.stdout.flush()
    if "DATABASE_URL" not in os.environ:
        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
