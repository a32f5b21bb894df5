"""The arXiv development set of search: 108 queries of five kinds over the 7,416 papers arXiv
listed in May 2026 (shared/data/arxiv-daily/papers-2605.jsonl.gz), judged blind to the system.
How it was written and judged: benchmarks/devset/PROTOCOL.md.

    python benchmarks/search_devset.py           # nDCG@10 of each leg and of the fusion, per kind
    python benchmarks/search_devset.py pool      # what the legs find, to judge (devset/pool.tsv)
    python benchmarks/search_devset.py --json    # the figures as JSON (search_hybrid.py reads it)

The corpus is imported, indexed and embedded by the product once, into
benchmarks/.cache/devset-2605/ (git-ignored; about 2 minutes of embedding on a quiet machine);
later runs reuse it.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import statistics
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_fulltext import ndcg_at_10

HERE = Path(__file__).resolve().parent
DEVSET = HERE / "devset"
SHARD = HERE.parent.parent / "shared" / "data" / "arxiv-daily" / "papers-2605.jsonl.gz"
CACHE = HERE / ".cache" / "devset-2605"
POOL_DEPTH = 10  # each ranking's top 10 is judged
POOLED = ("full text", "semantic, as typed", "semantic, no floor", "product")
KINDS = ("topic", "typo", "question", "long", "name")


def queries() -> list[dict[str, str]]:
    with (DEVSET / "queries.tsv").open() as tsv:
        return list(csv.DictReader(tsv, delimiter="\t"))


def fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("-", " ").replace(".", " ").split())


def corpus() -> list[dict]:
    with gzip.open(SHARD, "rt") as jsonl:
        return [json.loads(line) for line in jsonl]


def name_qrels(rows: list[dict]) -> dict[str, dict[str, int]]:
    """A name query's relevant papers: those the person wrote (by the listed author names)."""
    judged: dict[str, dict[str, int]] = {}
    for q in queries():
        if q["type"] == "name":
            wanted = fold(q["query"])
            judged[q["qid"]] = {
                r["id"]: 2 for r in rows if any(fold(a) == wanted for a in r["authors"])
            }
    return judged


def grades(name: str) -> dict[tuple[str, str], int]:
    """(qid, arXiv id) -> grade, from devset/<name>."""
    with (DEVSET / name).open() as tsv:
        return {
            (row["qid"], row["arxiv_id"]): int(row["grade"])
            for row in csv.DictReader(tsv, delimiter="\t")
        }


def qrels(judge: str = "first") -> dict[str, dict[str, int]]:
    """The judgments: devset/qrels.tsv (judged by hand) and the name queries' (from metadata);
    with judge="second", the second judge's grades replace the first's on the pairs it graded
    (devset/qrels_second_judge.tsv, a sample: PROTOCOL.md)."""
    judged = name_qrels(corpus())
    pairs = grades("qrels.tsv")
    if judge == "second":
        pairs |= grades("qrels_second_judge.tsv")
    for (qid, arxiv_id), grade in pairs.items():
        if grade > 0:
            judged.setdefault(qid, {})[arxiv_id] = grade
        else:
            judged.setdefault(qid, {})
    return judged


def cohen_kappa(first: list[int], second: list[int], distance=lambda a, b: a != b) -> float:
    """Cohen's kappa of two judges' grades (weighted when `distance` gives partial credit)."""
    n = len(first)
    observed = sum(distance(a, b) for a, b in zip(first, second, strict=True)) / n
    grades_ = sorted(set(first) | set(second))
    expected = sum(
        first.count(a) * second.count(b) * distance(a, b) for a in grades_ for b in grades_
    ) / (n * n)
    return 1 - observed / expected


def agreement() -> None:
    """How far the second judge agrees with the first on the pairs it graded (PROTOCOL.md)."""
    first, second = grades("qrels.tsv"), grades("qrels_second_judge.tsv")
    pairs = sorted(second)
    a, b = [first[p] for p in pairs], [second[p] for p in pairs]
    print(
        f"{len(pairs)} pairs graded by both judges; exact agreement "
        f"{sum(x == y for x, y in zip(a, b, strict=True)) / len(a):.2f}"
    )
    print(f"Cohen's kappa, three grades:       {cohen_kappa(a, b):.2f}")
    print(
        f"  linear-weighted:                  {cohen_kappa(a, b, lambda x, y: abs(x - y) / 2):.2f}"
    )
    for label, cut in (("relevant = grade 1 or 2", 1), ("relevant = grade 2", 2)):
        binary = ([int(x >= cut) for x in a], [int(y >= cut) for y in b])
        print(f"  {label + ':':32} {cohen_kappa(*binary):.2f}")


def setup() -> None:
    """Django on the cached corpus, built on the first run."""
    CACHE.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        DAILYPAPERS_DATA_DIR=str(CACHE), DJANGO_SETTINGS_MODULE="dailypapers.settings"
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    from dailypapers.core import embedding
    from dailypapers.ingest.importer import import_files
    from dailypapers.papers.models import Paper
    from dailypapers.search import fulltext, semantic

    if not embedding.available():
        sys.exit(f"the semantic extra is not installed: {embedding.INSTALL_HINT}")
    call_command("migrate", verbosity=0)
    if not Paper.objects.exists():
        print(f"importing {SHARD.name} into {CACHE} (once)", file=sys.stderr)
        import_files("arxiv", [SHARD])
        fulltext.rebuild()
    from dailypapers.authors.models import Author

    if not Author.objects.exists():
        call_command("authors", "sync", verbosity=0)  # what the worker does beside `serve`
    if semantic.count_stale():
        print(f"embedding {semantic.count_stale():,} papers (once)", file=sys.stderr)
        semantic.sync()
    fulltext.ensure()


_capped: dict[int, tuple] = {}


def capped_vectors(cap: int):  # -> (paper pks, unit vectors as a float32 matrix)
    """The corpus embedded with its text cut at `cap` word pieces (the stored vectors use the
    product's cap), cached in benchmarks/.cache; the embedding rate is search_hybrid.py's."""
    import numpy as np

    from dailypapers.core import embedding
    from dailypapers.papers.models import Paper
    from dailypapers.search import semantic

    if cap not in _capped:
        path = CACHE / f"vectors-cap{cap}.npz"
        rows = list(Paper.objects.order_by("pk").values_list("pk", "title", "abstract"))
        pks = np.array([r[0] for r in rows])
        if path.exists() and np.array_equal(np.load(path)["pks"], pks):
            matrix = np.load(path)["matrix"]
        else:
            print(
                f"embedding {len(rows):,} papers cut at {cap} word pieces (once)", file=sys.stderr
            )
            encoder = embedding.Encoder(bulk=True, max_tokens=cap)
            matrix = encoder.encode([semantic.paper_text(r[1], r[2]) for r in rows])
            np.savez(path, pks=pks, matrix=matrix)
        _capped[cap] = (pks, matrix)
    return _capped[cap]


def legs(text: str, depth: int = 100, cap: int | None = None) -> dict[str, list[int]]:
    """Each leg's ranking of one query (paper primary keys), and the product's; with `cap`,
    the semantic leg and the fusion as the product would rank with vectors made at that cap."""
    import numpy as np
    from django.conf import settings

    from dailypapers.core import embedding
    from dailypapers.search import fulltext, semantic
    from dailypapers.search import services as service
    from dailypapers.search.grammar import parse

    query = parse(text)
    floor = settings.SEARCH_SIMILARITY_FLOOR
    encoder = embedding.Encoder.get()
    if cap:
        pks, matrix = capped_vectors(cap)

        def nearest(vector):
            scores = matrix @ vector
            top = np.argsort(-scores)[:depth]
            return [int(pk) for pk in pks[top]], [float(x) for x in scores[top]]
    else:
        vectors = semantic.VectorIndex.get()

        def nearest(vector):
            found = vectors.nearest(vector, depth)
            return found.ids, found.scores

    out = {"full text": fulltext.FullTextIndex.get().search(query, limit=depth).ids}
    for key, typed in (
        ("semantic, as typed", query.text),
        ("semantic", service.semantic_text(query)),
    ):
        ids, scores = nearest(encoder.encode([typed])[0])
        out[key] = [pk for pk, s in zip(ids, scores, strict=True) if s >= floor]
        if key == "semantic":
            out["semantic, no floor"] = ids
    named = service.named_author(query)
    out["name"] = named[1] if named else []
    out["covered"] = fulltext.FullTextIndex.get().covered(query)
    if cap:
        weights = service.leg_weights(query, out["covered"])
        out["product"] = fused(out, settings.SEARCH_RRF_K, *weights)
    else:
        out["product"] = service.ordered_ids(query, depth=depth, count=False)[0]
    return out


def fused(found: dict[str, list[int]], k: int, text_weight: float, semantic_weight: float):
    """The product's ordering with other fusion settings (the author's papers first)."""
    from dailypapers.search import services as service

    ids = service.fuse([(found["full text"], text_weight), (found["semantic"], semantic_weight)], k)
    mine = set(found["name"])
    return found["name"] + [pk for pk in ids if pk not in mine]


def pool() -> None:
    """devset/pool.tsv: per query, the papers among each leg's top 10 that are not judged yet,
    ordered by arXiv id (so the judge cannot tell which leg found a paper or where it ranked),
    with title and abstract. Judge them, then add them to qrels.tsv."""
    from dailypapers.papers.models import Paper

    with (DEVSET / "qrels.tsv").open() as tsv:
        done = {(row["qid"], row["arxiv_id"]) for row in csv.DictReader(tsv, delimiter="\t")}
    rows = []
    for q in queries():
        if q["type"] == "name":
            continue  # judged from the metadata
        found = legs(q["query"])
        pks = {pk for key in POOLED for pk in found[key][:POOL_DEPTH]}
        for paper in Paper.objects.filter(pk__in=pks).order_by("arxiv_id"):
            if (q["qid"], paper.arxiv_id) in done:
                continue
            abstract = " ".join(paper.abstract.split())
            rows.append([q["qid"], q["query"], paper.arxiv_id, paper.title, abstract[:400]])
    with (DEVSET / "pool.tsv").open("w", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(["qid", "query", "arxiv_id", "title", "abstract (first 400 characters)"])
        writer.writerows(rows)
    print(f"{len(rows):,} query-paper pairs to judge in {DEVSET / 'pool.tsv'}")


SYSTEMS = ("full text", "semantic, as typed", "semantic", "product")


def evaluate(grid: bool = False, cap: int | None = None, judge: str = "first") -> dict:
    """nDCG@10 of each leg and of the product, per kind; with `grid`, of the fusion settings
    too (k x the weight of the semantic leg for questions)."""
    from dailypapers.papers.models import Paper
    from dailypapers.search import services as service
    from dailypapers.search.grammar import parse

    arxiv = dict(Paper.objects.values_list("pk", "arxiv_id"))
    judged = qrels(judge)
    runs = {q["qid"]: (q, legs(q["query"], cap=cap)) for q in queries()}

    def score(rank) -> dict[str, float]:
        kinds: dict[str, list[float]] = {}
        for q, found in runs.values():
            ids = rank(q, found)
            kinds.setdefault(q["type"], []).append(
                ndcg_at_10([arxiv[pk] for pk in ids], judged[q["qid"]])
            )
        out = {kind: statistics.mean(kinds[kind]) for kind in KINDS if kind in kinds}
        out["all"] = statistics.mean(s for scores in kinds.values() for s in scores)
        return out

    figures: dict = {"queries": len(runs)}
    for system in SYSTEMS:
        figures[system] = score(lambda q, found, system=system: found[system])
    if grid:
        figures["grid"] = []
        for k in (3, 5, 10):
            for covered in (1.0, 1.5, 2.0, 3.0):
                for boost in (1.0, 1.5, 2.0, 3.0):

                    def rank(q, found, k=k, covered=covered, boost=boost):
                        question = service.is_question(parse(q["query"]))
                        text = covered if found["covered"] else 1.0
                        return fused(found, k, text, boost if question else 1.0)

                    setting = {"k": k, "covered weight": covered, "question weight": boost}
                    figures["grid"].append((setting, score(rank)))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "command", nargs="?", choices=["pool", "evaluate", "agreement"], default="evaluate"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--grid", action="store_true", help="also score other fusion settings")
    parser.add_argument(
        "--max-tokens", type=int, help="embed the papers cut at this many word pieces instead"
    )
    parser.add_argument(
        "--judge",
        choices=["first", "second"],
        default="first",
        help="whose grades count where both judged a pair (the second judge graded a sample)",
    )
    args = parser.parse_args()
    if args.command == "agreement":
        agreement()
        return
    random.seed(0)
    setup()
    if args.command == "pool":
        pool()
        return
    figures = evaluate(args.grid, args.max_tokens, args.judge)
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"arXiv development set ({figures['queries']} queries, {args.judge} judge), "
        "nDCG@10 by kind:"
    )
    print(f"{'':20}" + "".join(f"{k:>9}" for k in (*KINDS, "all")))
    for system in SYSTEMS:
        print(
            f"{system:20}" + "".join(f"{figures[system].get(k, 0):9.3f}" for k in (*KINDS, "all"))
        )
    for setting, row in figures.get("grid", []):
        label = f"k={setting['k']} c{setting['covered weight']:g} q{setting['question weight']:g}"
        print(f"{label:20}" + "".join(f"{row.get(k, 0):9.3f}" for k in (*KINDS, "all")))


if __name__ == "__main__":
    main()
