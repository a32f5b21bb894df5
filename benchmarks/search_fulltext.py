"""The full-text search leg: quality on BEIR SciFact, latency at 145k and 1M papers.

    python benchmarks/search_fulltext.py [--skip-1m] [--queries 300]

1. Quality: the 5,183 SciFact abstracts loaded as papers into a fresh SQLite database, indexed by
   `dailypapers.search.fulltext`, the 300 test claims sent through the product's own path (our
   query grammar, compiled to tantivy queries), nDCG@10 against the test qrels (published BM25:
   0.665). The train split's nDCG is printed too (the split used for tuning the title boost
   and the common-word share).
2. Speed at 145k: the arXiv corpus imported, the index rebuilt (papers/s), query latency p50/p95
   over short queries (2-3 words of real titles) and SciFact claims (long sentences).
3. Speed at 1M: the 145k corpus replicated with new ids straight into a tantivy index (no
   database), same queries (target: p95 under 5 ms; stack.md measured 0.4 ms p50 on short OR
   queries), top 20 alone (the API's and feeds' search) and with the count of every match (the
   search page's "N papers").
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"


def ndcg_at_10(ranked: list[str], relevant: dict[str, int]) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def qrels(split: str) -> dict[str, dict[str, int]]:
    judged: dict[str, dict[str, int]] = {}
    lines = (DATA / "beir-scifact" / "qrels" / f"{split}.tsv").read_text().splitlines()[1:]
    for line in lines:
        qid, doc, score = line.split("\t")
        judged.setdefault(qid, {})[doc] = int(score)
    return judged


STOPWORDS = {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is",
             "of", "on", "or", "the", "to", "with", "via", "using"}  # fmt: skip


def short_queries(n: int) -> list[str]:
    """What people type in a search box: two or three words of a real title (seeded)."""
    from dailypapers.papers.models import Paper

    rng = random.Random(1)
    titles = list(Paper.objects.order_by("?").values_list("title", flat=True)[: n * 2])
    titles.sort()
    queries = []
    for title in titles:
        words = [
            w for w in title.lower().replace(":", " ").split() if w.isalpha() and w not in STOPWORDS
        ]
        if len(words) >= 2:
            queries.append(" ".join(rng.sample(words, min(len(words), rng.choice((2, 3))))))
        if len(queries) == n:
            break
    return queries


def load_scifact() -> tuple[dict[int, str], dict[str, str]]:
    """The SciFact abstracts as papers (their BEIR id kept in `comment`): returns the BEIR id of
    each paper's primary key, and the queries by id."""
    from dailypapers.papers.models import Paper

    with gzip.open(DATA / "beir-scifact" / "corpus.jsonl.gz", "rt") as jsonl:
        corpus = [json.loads(line) for line in jsonl]
    Paper.objects.bulk_create(
        Paper(arxiv_id=None, title=d["title"] or "(untitled)", abstract=d["text"], comment=d["_id"])
        for d in corpus
    )
    doc_of = dict(Paper.objects.values_list("pk", "comment"))
    lines = (DATA / "beir-scifact" / "queries.jsonl").read_text().splitlines()
    return doc_of, {q["_id"]: q["text"] for q in map(json.loads, lines)}


def timings(run, queries: list[str]) -> tuple[float, float]:
    for q in queries[:20]:
        run(q)  # warm up
    times = []
    for q in queries:
        started = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-1m", action="store_true")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="dailypapers-search-bench-")
    os.environ.update(DAILYPAPERS_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="dailypapers.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    import tantivy
    from django.core.management import call_command
    from django.db import connection

    from dailypapers.ingest.importer import import_files
    from dailypapers.papers.models import Paper
    from dailypapers.search import fulltext
    from dailypapers.search.grammar import parse
    from dailypapers.search.services import search

    call_command("migrate", verbosity=0)

    # 1. Quality on SciFact.
    doc_of, queries = load_scifact()
    fulltext.rebuild()
    for split in ("train", "test"):
        judged = qrels(split)
        scores = []
        for qid, relevant in judged.items():
            hits = fulltext.FullTextIndex.get().search(parse(queries[qid]), limit=10)
            scores.append(ndcg_at_10([doc_of[pk] for pk in hits.ids], relevant))
        print(
            f"SciFact {split:5} ({len(scores)} queries): "
            f"full-text nDCG@10 = {statistics.mean(scores):.3f}"
        )
    claims = [queries[q] for q in qrels("test")][: args.queries]

    # 2. 145k papers.
    Paper.objects.all().delete()
    files = sorted((DATA / "arxiv-daily").glob("*.jsonl.gz"))
    import_files("arxiv", files)
    started = time.perf_counter()
    count = fulltext.rebuild()
    elapsed = time.perf_counter() - started
    print(f"index rebuild: {count:,} papers in {elapsed:.1f}s = {count / elapsed:,.0f} papers/s")
    handle = fulltext.FullTextIndex.get()
    short = short_queries(args.queries)
    p50, p95 = timings(lambda q: handle.search(parse(q), limit=20), short)
    print(f"145k, short queries (2-3 title words): p50 {p50:.2f}, p95 {p95:.2f} ms")
    p50, p95 = timings(lambda q: handle.search(parse(q), limit=20), claims)
    print(f"145k, SciFact claims (parse, compile, top 20): p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    p50, p95 = timings(lambda q: search(q, limit=20), claims)
    print(
        f"145k, claims, search service (+ 20 papers from SQLite): p50 {p50:.2f}, p95 {p95:.2f} ms"
    )

    # 3. 1M papers: the corpus replicated with new ids, straight into tantivy.
    if not args.skip_1m:
        big = Path(data_dir) / "million"
        big.mkdir()
        index = tantivy.Index(fulltext.SCHEMA, path=str(big))
        writer = index.writer(heap_size=512_000_000, num_threads=2)
        papers = list(Paper.objects.only(*fulltext._FIELDS))
        started = time.perf_counter()
        total = 0
        copy = 0
        while total < 1_000_000:
            for paper in papers:
                paper.pk = copy * 10_000_000 + paper.pk if copy else paper.pk
                writer.add_document(fulltext._document(paper))
                total += 1
                if total == 1_000_000:
                    break
            copy += 1
            for paper in papers:  # restore the ids for the next copy
                paper.pk = paper.pk % 10_000_000
        writer.commit()
        writer.wait_merging_threads()
        print(f"1M index built in {time.perf_counter() - started:.0f}s")
        index.reload()
        searcher = index.searcher()

        def run(q: str, count: bool) -> None:
            compiled = fulltext.compile_query(parse(q), searcher)
            if compiled is not None:
                searcher.search(compiled, limit=20, count=count)

        for label, queries_ in (("short queries", short), ("SciFact claims", claims)):
            for count in (False, True):
                p50, p95 = timings(lambda q, count=count: run(q, count), queries_)
                what = "top 20 and count all" if count else "top 20"
                print(f"1M, {label:<14} (parse, compile, {what}): p50 {p50:.2f}, p95 {p95:.2f} ms")
    connection.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
