"""Hybrid search: quality of each leg and of the fusion on BEIR SciFact, speed at 145k papers.

    python benchmarks/search_hybrid.py [--queries 300] [--skip-145k]

Needs the semantic extra (see the README: `pip install -e '.[semantic]'` and the model).

1. Quality: the 5,183 SciFact abstracts loaded as papers into a fresh SQLite database; the
   full-text index rebuilt and every paper embedded by the product (`semantic.sync`, which gives
   the embedding throughput in docs/s). For each claim: the full-text ranking, the semantic
   ranking and the product's fused ranking (`service.ranked_ids`, the configured weights),
   nDCG@10 against the qrels of both splits. Then a grid over the fusion's k and the semantic
   weight, chosen on the *train* split only, and that choice's test figure (published: BM25
   0.665, TAS-B 0.643, SPLADE++ 0.704, BGE-base 0.741); the query-dependent weight of full text
   for covered queries. Then the arXiv development set, per kind of query
   (benchmarks/search_devset.py, run as its own process on its own corpus).
2. Speed at 145k: the arXiv corpus imported and indexed; the 145k vectors are the SciFact
   vectors repeated with a little noise (embedding 145k abstracts takes over an hour here; the
   search's cost hardly depends on what the vectors hold); a sample of arXiv abstracts is
   embedded for the throughput on real papers. The HNSW index is built (as the worker does above
   DAILYPAPERS_SEARCH_ANN_MIN vectors) and checked against exact search (recall@10). Latency
   p50/p95 of the vector stage (exact and HNSW), of the whole search service (parse, query
   embedding, both legs, fusion, 20 papers loaded), of the query embedding alone and of "related
   papers". Targets: hybrid p50 under 10 ms, p95 under 30 ms.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_fulltext import DATA, load_scifact, ndcg_at_10, qrels, short_queries, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--skip-145k", action="store_true")
    parser.add_argument(
        "--skip-options",
        action="store_true",
        help="leave out the development set and the embedding options",
    )
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="dailypapers-hybrid-bench-")
    os.environ.update(DAILYPAPERS_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="dailypapers.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    import numpy as np
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from dailypapers.core import embedding
    from dailypapers.ingest.importer import import_files
    from dailypapers.papers.models import Paper
    from dailypapers.search import fulltext, semantic
    from dailypapers.search import services as service
    from dailypapers.search.grammar import parse
    from dailypapers.search.models import PaperVector

    if not embedding.available():
        sys.exit(f"the semantic extra is not installed: {embedding.INSTALL_HINT}")
    call_command("migrate", verbosity=0)

    # 1. Quality on SciFact.
    doc_of, queries = load_scifact()
    fulltext.rebuild()
    embedding.Encoder.get(bulk=True)  # build the model first: not part of the throughput
    started = time.perf_counter()
    count = semantic.sync()
    elapsed = time.perf_counter() - started
    print(
        f"embedding (int8 ONNX, batches of {embedding.BATCH}, {settings.SEARCH_THREADS or 'all'}"
        f" threads): {count:,} SciFact abstracts in {elapsed:.0f}s = {count / elapsed:.1f} docs/s"
        " (stored in the database included)"
    )
    index = fulltext.FullTextIndex.get()
    vectors = semantic.VectorIndex.get()
    runs: dict[str, dict[str, tuple[list[int], list[int]]]] = {}
    covered: dict[str, bool] = {}
    changed = 0  # claims whose semantic text differs from the typed one (a word corrected)
    for split in ("train", "test"):
        runs[split] = {}
        for qid in qrels(split):
            query = parse(queries[qid])
            ft = index.search(query, limit=100).ids
            text = service.semantic_text(query)
            changed += text != query.text
            sem = vectors.nearest(embedding.Encoder.get().encode([text])[0], 100).ids
            runs[split][qid] = (ft, sem)
            covered[qid] = index.covered(query)
    print(
        f"{changed} of {len(covered)} claims have a word no abstract has, corrected for the "
        f"semantic leg; {sum(covered.values())} are covered (3+ papers have every word)"
    )

    def score(split: str, rank) -> float:
        judged = qrels(split)
        return statistics.mean(
            ndcg_at_10([doc_of[pk] for pk in rank(*runs[split][qid])], judged[qid])
            for qid in judged
        )

    weights = settings.SEARCH_WEIGHTS
    for split in ("train", "test"):
        ft = score(split, lambda ft, sem: ft)
        sem = score(split, lambda ft, sem: sem)
        fused = score(
            split,
            lambda ft, sem: service.fuse(
                [(ft, weights["fulltext"]), (sem, weights["semantic"])], settings.SEARCH_RRF_K
            ),
        )
        print(
            f"SciFact {split:5} ({len(runs[split])} queries) nDCG@10: full text {ft:.3f}, "
            f"semantic {sem:.3f}, hybrid {fused:.3f} (k={settings.SEARCH_RRF_K}, "
            f"weights {weights['fulltext']:g}/{weights['semantic']:g})"
        )
    # The product's own path gives the same hybrid ranking (checked on the test split).
    judged = qrels("test")
    product = statistics.mean(
        ndcg_at_10(
            [doc_of[pk] for pk in service.ranked_ids(parse(queries[qid]), depth=100)[0]],
            judged[qid],
        )
        for qid in judged
    )
    print(f"SciFact test through service.ranked_ids: hybrid nDCG@10 {product:.3f}")
    grid = []
    for k in (1, 2, 3, 5, 10, 20, 40, 60, 100):
        for w in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0):

            def fused(ft, sem, k=k, w=w):
                return service.fuse([(ft, 1.0), (sem, w)], k)

            grid.append((score("train", fused), k, w, score("test", fused)))
    best = max(grid)
    print(
        f"grid on train (k x semantic weight, {len(grid)} settings): best k={best[1]}, "
        f"weight {best[2]:g}: train {best[0]:.3f}, test {best[3]:.3f}"
    )
    # The query-dependent weight of the full-text leg when the claim's words are all found.
    for c in (1.0, 1.5, 2.0, 3.0):

        def by_coverage(split: str, c=c) -> float:
            judged = qrels(split)
            return statistics.mean(
                ndcg_at_10(
                    [
                        doc_of[pk]
                        for pk in service.fuse(
                            [
                                (runs[split][qid][0], c if covered[qid] else 1.0),
                                (runs[split][qid][1], 1.0),
                            ],
                            settings.SEARCH_RRF_K,
                        )
                    ],
                    judged[qid],
                )
                for qid in judged
            )

        print(
            f"covered weight {c:g} (k={settings.SEARCH_RRF_K}): train {by_coverage('train'):.3f},"
            f" test {by_coverage('test'):.3f}"
        )
    # The arXiv development set (its own corpus and process: benchmarks/search_devset.py).
    dev = None if args.skip_options else devset()
    if dev:
        kinds = ("topic", "typo", "question", "long", "name", "all")
        print(f"arXiv development set ({dev['queries']} queries), nDCG@10: " + ", ".join(kinds))
        for system in ("full text", "semantic", "product"):
            print(f"  {system:10} " + " ".join(f"{dev[system][kind]:.3f}" for kind in kinds))

    # Embedding options: the rate on SciFact's abstracts (title + abstract, 5,183), and what
    # each costs in quality, on SciFact test and the development set (both re-embedded).
    corpus_pks = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
    texts = [
        semantic.paper_text(t, a)
        for t, a in Paper.objects.order_by("pk").values_list("title", "abstract")
    ]
    from tokenizers import Tokenizer

    pieces = Tokenizer.from_file(str(embedding.weights_dir() / "tokenizer.json"))
    pieces.no_truncation()
    pieces.no_padding()
    lengths = [len(e.ids) for e in pieces.encode_batch(texts[:1000])]
    print(
        f"embedding options (SciFact abstracts: {statistics.mean(lengths):.0f} word pieces on "
        f"average, {sum(n >= embedding.MAX_TOKENS for n in lengths) / 10:.0f}% cut at "
        f"{embedding.MAX_TOKENS}; rates with {settings.SEARCH_THREADS or 'all'} threads unless "
        "said):"
    )
    options = [
        ("int8, 256 word pieces, batches of 16 (the product)", {}, 16, True),
        ("int8, 256, batches of 32", {}, 32, False),
        ("int8, 256, one thread", {"threads": 1}, 16, False),
        ("fp32, 256", {"quantized": False}, 16, False),
        ("int8, 128 word pieces", {"max_tokens": 128}, 32, True),
        ("int8, 64 word pieces", {"max_tokens": 64}, 64, True),
    ]
    for label, kwargs, batch, judged_too in [] if args.skip_options else options:
        encoder = embedding.Encoder(bulk=True, **kwargs)
        encoder.encode(texts[:64], batch)  # warm
        sample = texts[:1024] if not judged_too else texts
        started = time.perf_counter()
        matrix = encoder.encode(sample, batch)
        rate = len(sample) / (time.perf_counter() - started)
        line = f"  {label:52} {rate:6.1f} docs/s"
        if judged_too:
            cap = kwargs.get("max_tokens", embedding.MAX_TOKENS)
            judged = qrels("test")
            encode = embedding.Encoder.get().encode
            sem_runs = {}
            for qid in judged:
                query = parse(queries[qid])
                scores = matrix @ encode([service.semantic_text(query)])[0]
                top = np.argsort(-scores)[:100]
                sem_runs[qid] = [corpus_pks[i] for i in top]
            sem = statistics.mean(
                ndcg_at_10([doc_of[pk] for pk in sem_runs[qid]], judged[qid]) for qid in judged
            )
            hybrid = statistics.mean(
                ndcg_at_10(
                    [
                        doc_of[pk]
                        for pk in service.fuse(
                            [
                                (runs["test"][qid][0], 1.0),
                                (sem_runs[qid], 1.0),
                            ],
                            settings.SEARCH_RRF_K,
                        )
                    ],
                    judged[qid],
                )
                for qid in judged
            )
            line += f"; SciFact test semantic {sem:.3f}, hybrid {hybrid:.3f}"
            capped = devset(cap)
            if capped:
                line += (
                    f"; development set semantic {capped['semantic']['all']:.3f}, "
                    f"product {capped['product']['all']:.3f}"
                )
        print(line, flush=True)

    if not args.skip_145k:
        # 2. 145k papers.
        stored = list(PaperVector.objects.order_by("pk").values_list("vector", flat=True))
        Paper.objects.all().delete()
        semantic.VectorIndex.forget()
        files = sorted((DATA / "arxiv-daily").glob("*.jsonl.gz"))
        import_files("arxiv", files)
        fulltext.rebuild()
        pks = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
        sample = list(Paper.objects.order_by("?").values_list("pk", flat=True)[:512])
        started = time.perf_counter()
        texts = [
            semantic.paper_text(t, a)
            for t, a in Paper.objects.filter(pk__in=sample).values_list("title", "abstract")
        ]
        embedding.Encoder.get(bulk=True).encode(texts)
        elapsed = time.perf_counter() - started
        print(f"embedding 512 arXiv abstracts: {len(texts) / elapsed:.1f} docs/s")
        rng = np.random.default_rng(0)
        base = np.frombuffer(b"".join(stored), dtype="<f2").reshape(-1, 384).astype(np.float32)
        for start in range(0, len(pks), 10_000):
            chunk = pks[start : start + 10_000]
            vectors = base[np.arange(start, start + len(chunk)) % len(base)]
            # Each SciFact vector stands for ~28 papers: jittered (cosine ~0.95 to it), so that
            # the HNSW graph is not built over exact duplicates.
            vectors = vectors + rng.standard_normal(vectors.shape).astype(np.float32) * 0.016
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            PaperVector.objects.bulk_create(
                PaperVector(
                    paper_id=pk, model=semantic.MODEL_KEY, text_hash="bench", vector=v.tobytes()
                )
                for pk, v in zip(chunk, vectors.astype("<f2"), strict=True)
            )
        started = time.perf_counter()
        loaded = len(semantic.VectorIndex.get())
        print(
            f"145k: {loaded:,} vectors loaded from SQLite in {time.perf_counter() - started:.2f}s"
        )
        exact = semantic.VectorIndex.get()
        started = time.perf_counter()
        size = semantic.build_ann()
        print(f"HNSW index of {size:,} vectors built in {time.perf_counter() - started:.0f}s")
        semantic.VectorIndex.forget()
        started = time.perf_counter()
        ann = semantic.VectorIndex.get()
        print(f"HNSW index opened in {time.perf_counter() - started:.2f}s")
        probes = [exact.matrix[i] for i in rng.integers(0, len(exact.pks), 200)]
        recall = statistics.mean(
            len(set(exact.nearest(v, 10).ids) & set(ann.nearest(v, 10).ids)) / 10 for v in probes
        )
        print(f"HNSW recall@10 against exact search (200 probes): {recall:.3f}")
        p50, p95 = timings(lambda v: exact.nearest(v, 100), probes)
        print(f"vector stage, top 100: exact (numpy) p50 {p50:.2f}, p95 {p95:.2f} ms")
        p50, p95 = timings(lambda v: ann.nearest(v, 100), probes)
        print(f"vector stage, top 100: HNSW p50 {p50:.2f}, p95 {p95:.2f} ms")
        del exact
        short = short_queries(args.queries)
        claims = [queries[q] for q in qrels("test")][: args.queries]
        encoder = embedding.Encoder.get()
        p50, p95 = timings(lambda q: encoder.encode([q]), short)
        print(f"query embedding alone, short queries: p50 {p50:.2f}, p95 {p95:.2f} ms")
        for label, queries_ in (("short queries", short), ("SciFact claims", claims)):
            p50, p95 = timings(lambda q: service.search(q, limit=20), queries_)
            print(f"145k hybrid search service, {label:<14}: p50 {p50:.2f}, p95 {p95:.2f} ms")
        papers = [Paper(pk=pk, title="") for pk in sample[:200]]
        p50, p95 = timings(lambda p: service.related(p), papers)
        print(f"145k related papers (5 nearest + load): p50 {p50:.2f}, p95 {p95:.2f} ms")
    connection.close()
    shutil.rmtree(data_dir, ignore_errors=True)


def devset(cap: int | None = None) -> dict | None:
    """The development set's figures (benchmarks/search_devset.py --json), or None."""
    import json
    import subprocess

    command = [sys.executable, str(Path(__file__).parent / "search_devset.py"), "--json"]
    done = subprocess.run(
        command + (["--max-tokens", str(cap)] if cap else []),
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DAILYPAPERS_DATA_DIR"},
    )
    if done.returncode:
        print(f"arXiv development set: not run ({done.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(done.stdout)


if __name__ == "__main__":
    main()
