"""All of arXiv on one machine: a 3M-paper catalogue on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/scale.py [--papers 3000000] [--backend sqlite|postgresql|both]
                                         [--postgres-url URL] [--keep DIR] [--requests 200]

The 145,052 papers of `../shared/data/arxiv-daily` are replicated to `--papers` with new arXiv
ids (138 months of about 22,000 papers) and, for every copy after the first, each text's words
shuffled (the copies keep the corpus's term statistics, not its sentences); 30 a day of the
last three years enter the Daily feed (as on Hugging Face), with votes. Then, through the
product's own code:

- import: `store.upsert` in batches of 5,000 (what `dailypapers import` does), with the change
  log's triggers;
- the full-text index built (`fulltext.rebuild`), a random unit vector stored per paper (the
  latency of the vector stage does not depend on what the vectors mean) and the HNSW graph built
  (`semantic.build_ann`; `--ann-from` reuses one built by an earlier run on the same ids);
- server time of the feed pages through Django's test client, in-process; full-text and hybrid
  search through `search.service.search` (the API's path: parse, both legs, fusion, the page of
  papers loaded), short queries (2-3 words of real titles) and SciFact's test claims;
- the RSS of this process once it has served all that (a web worker's working set: the model,
  the tantivy reader, the HNSW graph), and the disk used per paper.

Targets: feed pages p95 < 50 ms, full-text short p95 < 10 ms, hybrid p95 < 30 ms at 3M.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
MONTHS = 138  # 2015-01 .. 2026-06: five-digit ids (YYMM.NNNNN), up to 99,999 a month
BATCH = 5000


def month_of(index: int) -> tuple[int, int]:
    year, month = divmod(index, 12)  # 0 -> 2015-01
    return 2015 + year, month + 1


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def corpus() -> list:
    from dailypapers.ingest.formats import parse_arxiv

    records = []
    for path in sorted((DATA / "arxiv-daily").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as lines:
            for line in lines:
                try:
                    records.append(parse_arxiv(json.loads(line)))
                except Exception:
                    continue
    return records


def replicas(base: list, total: int):  # type: ignore[no-untyped-def]
    """`total` records: copies of the corpus with new ids, words shuffled after the first."""
    per_month = -(-total // MONTHS)
    rng = random.Random(7)
    for i in range(total):
        source = base[i % len(base)]
        month_index, seq = divmod(i, per_month)
        year, month = month_of(month_index)
        day = dt.date(year, month, 1 + seq % 28)
        when = dt.datetime(year, month, day.day, 12, tzinfo=dt.UTC)
        title, abstract = source.title, source.abstract
        if i >= len(base):
            words = title.split()
            rng.shuffle(words)
            title = " ".join(words)
            words = abstract.split()
            rng.shuffle(words)
            abstract = " ".join(words)
        yield dataclasses.replace(
            source,
            arxiv_id=f"{year % 100:02d}{month:02d}.{seq + 1:05d}",
            version=1,
            title=title,
            abstract=abstract,
            published_at=when,
            revised_at=when,
            versions=[(1, when)],
            listed_on=day,
            feed_day=None,
            upvotes=None,
            num_comments=None,
        )


def directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(args: argparse.Namespace) -> None:
    data_dir = Path(args.keep or tempfile.mkdtemp(prefix="dailypapers-scale-"))
    os.environ["DAILYPAPERS_DATA_DIR"] = str(data_dir)
    os.environ["DAILYPAPERS_PAGE_CACHE_SECONDS"] = "0"  # server time, not the cache
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    if args.backend == "postgresql":
        os.environ["DATABASE_URL"] = args.postgres_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from dailypapers.core.embedding import DIMENSIONS
    from dailypapers.feed.models import DailyEntry
    from dailypapers.papers import changes, store
    from dailypapers.papers.models import Paper
    from dailypapers.search import fulltext, semantic
    from dailypapers.search import services as service
    from dailypapers.search.grammar import parse
    from dailypapers.search.models import PaperVector

    call_command("migrate", verbosity=0)
    print(f"== {connection.vendor}, {args.papers:,} papers, data in {data_dir}", flush=True)
    fresh = not Paper.objects.exists()
    if fresh:
        base = corpus()
        started = time.perf_counter()
        batch, done = [], 0
        for record in replicas(base, args.papers):
            batch.append(record)
            if len(batch) == BATCH:
                store.upsert(batch)
                done += len(batch)
                batch = []
                if done % 250_000 == 0:
                    rate = done / (time.perf_counter() - started)
                    print(f"  imported {done:,} ({rate:,.0f}/s)", flush=True)
        if batch:
            store.upsert(batch)
        store.refresh_statistics()
        elapsed = time.perf_counter() - started
        print(
            f"import: {args.papers:,} papers in {elapsed:.0f}s = {args.papers / elapsed:,.0f} "
            "papers/s (store.upsert, batches of 5,000, change log included)",
            flush=True,
        )
        # The Daily feed: 30 papers a day (as on Hugging Face) over the last three years, with
        # votes; the rest is catalogue only.
        rng = random.Random(3)
        last = Paper.objects.order_by("-listed_on").values_list("listed_on", flat=True).first()
        recent = Paper.objects.filter(listed_on__gt=last - dt.timedelta(days=3 * 365))
        per_day: dict[dt.date, int] = {}
        entries, voted = [], []
        for pk, listed in recent.order_by("pk").values_list("pk", "listed_on").iterator():
            if per_day.get(listed, 0) >= 30:
                continue
            per_day[listed] = per_day.get(listed, 0) + 1
            when = dt.datetime.combine(listed, dt.time(12), tzinfo=dt.UTC)
            entries.append(DailyEntry(paper_id=pk, day=listed, submitted_at=when, source="hf"))
            voted.append(Paper(pk=pk, upvotes_imported=int(rng.paretovariate(1.2) * 3)))
        DailyEntry.objects.bulk_create(entries, batch_size=5000)
        Paper.objects.bulk_update(voted, ["upvotes_imported"], batch_size=2000)
        print(f"feed: {len(entries):,} entries", flush=True)

        started = time.perf_counter()
        indexed = fulltext.rebuild()
        elapsed = time.perf_counter() - started
        print(f"full-text index: {indexed:,} papers in {elapsed:.0f}s ({indexed / elapsed:,.0f}/s)")

        started = time.perf_counter()
        rng_np = np.random.default_rng(11)
        pks = list(Paper.objects.order_by("pk").values_list("pk", flat=True)[: args.vectors])
        for start in range(0, len(pks), 20_000):
            chunk = pks[start : start + 20_000]
            vectors = rng_np.standard_normal((len(chunk), DIMENSIONS)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            PaperVector.objects.bulk_create(
                [
                    PaperVector(paper_id=pk, model=semantic.MODEL_KEY, text_hash="-", vector=v)
                    for pk, v in zip(chunk, vectors.astype("<f2"), strict=True)
                ],
                batch_size=5000,
            )
        print(f"vectors stored: {len(pks):,} in {time.perf_counter() - started:.0f}s", flush=True)
        if connection.vendor == "postgresql":
            store.refresh_statistics()
        started = time.perf_counter()
        if args.ann_from:
            while not (Path(args.ann_from) / "meta.json").exists():  # another run builds it
                time.sleep(10)
            target = semantic.ann_dir()
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(args.ann_from, target)
            meta = json.loads((target / "meta.json").read_text())
            meta["cursor"] = changes.start().as_json()
            (target / "meta.json").write_text(json.dumps(meta))
            print(f"HNSW graph: copied from {args.ann_from}")
        else:
            size = semantic.build_ann()
            print(f"HNSW graph: {size:,} vectors in {time.perf_counter() - started:.0f}s")
    else:
        print("(the catalogue of an earlier run: measuring only)")

    disk = directory_size(fulltext.index_dir()) + directory_size(semantic.ann_dir())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            database = cursor.fetchone()[0]
    else:
        database = sum(
            p.stat().st_size for p in data_dir.glob("dailypapers.sqlite3*") if p.is_file()
        )
    total = Paper.objects.count()
    print(
        f"disk: database {database / 1e9:.1f} GB, full-text index "
        f"{directory_size(fulltext.index_dir()) / 1e9:.1f} GB, HNSW "
        f"{directory_size(semantic.ann_dir()) / 1e9:.1f} GB; "
        f"{(database + disk) / total / 1024:.1f} KB per paper"
    )

    # --- pages ---
    from django.db.models import Count

    client = Client(HTTP_HOST="127.0.0.1")
    busiest = DailyEntry.objects.values("day").annotate(n=Count("id")).order_by("-n").first()
    day = busiest["day"]
    listed = Paper.objects.filter(listed_on=day).count()
    paper = Paper.objects.filter(entry__day=day).first()
    pages = [
        (f"daily {day} ({busiest['n']} papers)", f"/papers/date/{day}"),
        (f"monthly {day:%Y-%m}", f"/papers/month/{day:%Y-%m}"),
        ("trending", "/papers/trending"),
        (f"new on arXiv {day} ({listed:,} papers)", f"/arxiv/{day}"),
        ("paper page", f"/papers/{paper.arxiv_id}"),
        ("API daily_papers", f"/api/daily_papers?date={day}"),
    ]
    worst = 0.0
    for label, url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        p50, p95 = percentiles(times)
        worst = max(worst, p95)
        print(f"  {label:<40} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    print(f"feed pages: worst p95 {worst:.1f} ms (target < 50 ms)", flush=True)

    # --- search ---
    rng = random.Random(1)
    titles = list(
        Paper.objects.filter(pk__lte=145_000).order_by("pk").values_list("title", flat=True)[::700]
    )
    short = []
    for title in titles:
        words = [w for w in title.lower().split() if w.isalpha() and len(w) > 3]
        if len(words) >= 2:
            short.append(" ".join(rng.sample(words, min(len(words), rng.choice((2, 3))))))
    claims = [
        json.loads(line)["text"]
        for line in (DATA / "beir-scifact" / "queries.jsonl").read_text().splitlines()
    ][:300]
    fulltext.ensure()
    index = fulltext.FullTextIndex.get()
    for label, queries in (("short", short[:200]), ("SciFact claims", claims)):
        times = []
        for query in queries:
            t = time.perf_counter()
            index.search(parse(query), limit=20, count=False)
            times.append((time.perf_counter() - t) * 1000)
        p50, p95 = percentiles(times)
        print(f"full-text index alone, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    for mode in ("full text", "hybrid"):
        for label, queries in (("short", short[:200]), ("SciFact claims", claims)):
            django.conf.settings.SEMANTIC = mode == "hybrid"
            service.search(queries[0], count=False)  # warm: open indexes, load the model
            times = []
            for query in queries:
                t = time.perf_counter()
                service.search(query, count=False)
                times.append((time.perf_counter() - t) * 1000)
            p50, p95 = percentiles(times)
            target = {"full text": " (target p95 < 10 ms)", "hybrid": " (target p95 < 30 ms)"}
            print(
                f"{mode}, {label} ({len(queries)}): p50 {p50:.1f} ms, p95 {p95:.1f} ms"
                + (target[mode] if label == "short" else ""),
                flush=True,
            )
    print(
        f"RSS of this process (a web worker's working set): {rss_mb():,.0f} MB, of which "
        f"{rss_mb('RssAnon'):,.0f} MB its own and {rss_mb('RssFile'):,.0f} MB mapped files "
        "(the graph's vectors, the index: shared by the processes of a machine)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=3_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres-url", default="postgresql://postgres@127.0.0.1:5432/dailypapers_scale"
    )
    parser.add_argument("--keep", help="Data directory to build in and keep (re-runs measure).")
    parser.add_argument(
        "--ann-from",
        help="Reuse the HNSW directory another run builds (same --papers and --vectors); waits "
        "for it to appear.",
    )
    parser.add_argument(
        "--vectors",
        type=int,
        default=None,
        help="Give only the first N papers a vector (the HNSW build is the longest part).",
    )
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    if args.backend == "both":
        for backend in ("sqlite", "postgresql"):
            command = [sys.executable, __file__, "--backend", backend, "--papers", str(args.papers)]
            command += ["--requests", str(args.requests), "--postgres-url", args.postgres_url]
            if args.vectors is not None:
                command += ["--vectors", str(args.vectors)]
            subprocess.run(command, check=True)
        return
    if args.backend == "postgresql" and not args.keep:
        import psycopg

        base, name = args.postgres_url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    run(args)


if __name__ == "__main__":
    main()
