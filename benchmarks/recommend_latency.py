"""How long ranking one day takes for one reader (issue 29, item 5: under 50 ms p50 at 700
candidates), timed on the product's own code path.

    python benchmarks/recommend_latency.py [--candidates 700] [--library 200] [--runs 200]

What is timed: `foryou._ranking` (the product's `recommend.rank` then `recommend.diversify`),
exactly what `foryou.refresh` runs per reader, on one thread (the page runs it on a thread of
its own), with one BLAS thread as the web processes have (OPENBLAS_NUM_THREADS=1, wsgi.py),
without the database reads around it. Inputs have the product's shapes: 384-dimension
unit vectors (float32, as stored), each candidate with six author keys, a library of `--library`
papers whose authors give about 5 keys each, 10 followed authors, 3 followed categories, 20
"not interested" papers. The time of these operations does not depend on the vectors' values,
so they are random; the author keys and texts are the shared arXiv corpus's when it is there
(`../shared/data/arxiv-daily`), else generated.

Also timed (`--tfidf`, needs scikit-learn): the same ranking with the two TF-IDF signals, the
vectorizer (arxiv-sanity's settings) fitted at request time over the candidates' and library's
titles and abstracts, which is what the product would have to do to use them. Its p50 says
whether they fit the 50 ms budget (they are off in the product; see docs/collections.md).

The last line reads `p50 ms=<x> p95 ms=<y> candidates=<n>` (without TF-IDF).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "arxiv-daily"
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
# One BLAS thread, as the web processes run (src/dailypapers/wsgi.py sets it); set
# OPENBLAS_NUM_THREADS yourself to time another setting.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def corpus(count: int) -> list[dict]:
    """The first `count` papers of the shared corpus (title, abstract, authors), or made up."""
    rows: list[dict] = []
    for path in sorted(DATA.glob("papers-*.jsonl.gz"))[-3:]:
        with gzip.open(path, "rt") as fh:
            rows.extend(json.loads(line) for line in itertools.islice(fh, count))
        if len(rows) >= count:
            return rows[:count]
    words = [f"w{i}" for i in range(5_000)]
    return [
        {
            "title": " ".join(words[(i * 7 + j) % 5_000] for j in range(10)),
            "abstract": " ".join(words[(i * 13 + j * 31) % 5_000] for j in range(150)),
            "authors": [f"Author {i * 6 + j}" for j in range(6)],
        }
        for i in range(count)
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=700)
    parser.add_argument("--library", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--tfidf", action="store_true", help="also time the TF-IDF signals")
    args = parser.parse_args()

    import django

    django.setup()
    import numpy as np

    from dailypapers.authors import names
    from dailypapers.library import foryou, recommend

    rng = np.random.default_rng(7)

    def unit(n: int) -> np.ndarray:
        v = rng.normal(size=(n, 384)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    papers = corpus(args.candidates + args.library)
    cands, lib = papers[: args.candidates], papers[args.candidates :]
    keys = [[k for k in map(names.key, (p.get("authors") or [])[:6]) if k] for p in cands]
    cats = [p.get("categories") or ["cs.LG"] for p in cands]
    authors: dict[str, float] = {}
    for p in lib:
        found = {names.key(a) for a in p.get("authors") or []} - {""}
        for key in found:
            authors[key] = authors.get(key, 0.0) + 1.0 / max(len(found), 1)
    for row in keys[:: max(1, len(keys) // 40)]:  # some candidates share an author
        authors.update(dict.fromkeys(row[:1], 0.5))
    library = recommend.Library(
        vectors=unit(len(lib)),
        weights=np.ones(len(lib), dtype=np.float32),
        authors=authors,
        categories={"cs.LG", "cs.CL", "stat.ML"},
        followed={row[0] for row in keys[:10] if row},
        negatives=unit(20),
    )
    vectors = unit(len(cands))

    def timed(run) -> list[float]:
        for _ in range(5):  # warm-up
            run()
        out = []
        for _ in range(args.runs):
            started = time.perf_counter()
            run()
            out.append((time.perf_counter() - started) * 1000)
        return out

    def plain() -> None:
        foryou._ranking(library, vectors, keys, cats)

    times = timed(plain)
    print(
        f"ranking only, {len(cands)} candidates, library {len(lib)}: "
        f"p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms",
        file=sys.stderr,
    )
    if args.tfidf:
        texts = [f"{p['title']} {p['abstract']}" for p in cands + lib]

        def with_tfidf() -> None:
            rows = recommend.tfidf_matrix(texts, min_df=2)
            library.tfidf = rows[len(cands) :]
            recommend.rank(library, vectors, keys, cats, tfidf=rows[: len(cands)])

        tf_times = timed(with_tfidf)
        library.tfidf = None
        print(
            f"with TF-IDF fitted at request time: p50 {statistics.median(tf_times):.1f} ms, "
            f"p95 {percentile(tf_times, 0.95):.1f} ms",
            file=sys.stderr,
        )
    print(
        f"p50 ms={statistics.median(times):.1f} p95 ms={percentile(times, 0.95):.1f} "
        f"candidates={len(cands)}"
    )


if __name__ == "__main__":
    main()
