"""Author pages at arXiv scale: import the 145k-paper corpus, derive the author index from the
change log, then time author pages for the most prolific names and for random ones.

    python benchmarks/people.py [--data ../shared/data] [--requests 200]

Targets (issue 18): an author page p95 < 30 ms at 145k papers; a new paper by an author with
10,000 followers fanned out to them in the worker in < 2 s. Also reports the import rate
(the index is derived afterwards, from the change log, as the worker does), how long deriving
the whole index takes, and a catch-up after one new paper. Uses a fresh SQLite file in a
temporary directory.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared/data"))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--followers", type=int, default=10_000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="dailypapers-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ["DAILYPAPERS_DATA_DIR"] = tmp
    os.environ["DAILYPAPERS_PAGE_CACHE_SECONDS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client

    from dailypapers.authors import index
    from dailypapers.authors.models import Author, PaperAuthor
    from dailypapers.ingest.importer import import_files
    from dailypapers.papers import store
    from dailypapers.papers.models import Paper
    from dailypapers.papers.records import PaperRecord

    call_command("migrate", verbosity=0)
    files = sorted((Path(args.data) / "arxiv-daily").glob("*.jsonl.gz"))
    started = time.perf_counter()
    import_files("arxiv", files)
    elapsed = time.perf_counter() - started
    papers = Paper.objects.count()
    print(f"import: {papers:,} papers in {elapsed:.1f}s = {papers / elapsed:,.0f} papers/s")
    started = time.perf_counter()
    index.catch_up()  # no cursor yet: derives the whole index, as the worker would
    elapsed = time.perf_counter() - started
    print(
        f"author index derived (the worker's first catch-up): {elapsed:.1f}s = "
        f"{papers / elapsed:,.0f} papers/s; {Author.objects.count():,} written names, "
        f"{PaperAuthor.objects.count():,} links"
    )
    store.upsert([PaperRecord(title="New", arxiv_id="2612.00001", authors=["Yang Liu", "A. New"])])
    started = time.perf_counter()
    index.catch_up()
    print(f"catch-up after one new paper: {(time.perf_counter() - started) * 1000:.1f} ms")
    client = Client(HTTP_HOST="127.0.0.1")
    prolific = list(
        Author.objects.annotate(n=Count("paper_links")).order_by("-n").values_list("key", "n")[:20]
    )
    print(f"most papers under one written name: {prolific[0][1]} ({prolific[0][0]})")
    keys = list(Author.objects.values_list("key", flat=True))
    rng = random.Random(1)
    for label, chosen in (
        ("prolific (top 20, repeated)", [prolific[i % 20][0] for i in range(args.requests)]),
        ("random names", rng.sample(keys, args.requests)),
    ):
        times, slowest = [], []
        for key in chosen:
            begun = time.perf_counter()
            response = client.get(f"/authors/{key}")
            times.append((time.perf_counter() - begun) * 1000)
            slowest.append((times[-1], key))
            assert response.status_code == 200, (key, response.status_code)
        times.sort()
        slow = ", ".join(f"{key} {ms:.0f}" for ms, key in sorted(slowest)[-3:])
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"author page, {label}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
            f"(slowest: {slow} ms)"
        )
    fan_out(args.followers)
    shutil.rmtree(tmp, ignore_errors=True)


def fan_out(count: int) -> None:
    """A new paper by an author with `count` followers: the worker's catch-up tells them all."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from dailypapers.authors import index
    from dailypapers.notifications.models import Follow, Notification
    from dailypapers.papers import store
    from dailypapers.papers.records import PaperRecord

    users = User.objects.bulk_create(User(username=f"follower{i}") for i in range(count))
    Follow.objects.bulk_create(Follow(user=u, kind=Follow.AUTHOR, value="yang-liu") for u in users)
    store.upsert(
        [
            PaperRecord(
                title="Famous",
                arxiv_id="2612.00002",
                authors=["Yang Liu"],
                published_at=timezone.now(),
            )
        ]
    )
    started = time.perf_counter()
    index.catch_up()
    elapsed = time.perf_counter() - started
    made = Notification.objects.filter(kind=Notification.NEW_PAPER).count()
    print(
        f"new paper by an author with {count:,} followers: {made:,} notifications in {elapsed:.2f}s"
    )


if __name__ == "__main__":
    main()
