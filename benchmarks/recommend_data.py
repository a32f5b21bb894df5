"""Data of the For you evaluation (`benchmarks/recommend.py`): the corpus, the users and their
targets at one cut, and the product's embeddings of papers, cached.

Run alone it fills the embedding cache for some cuts (useful before the timed runs):

    nice -n 15 .venv/bin/python benchmarks/recommend_data.py --cut 2026-04-01 --cut 2026-05-01
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gzip
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CACHE = Path(__file__).resolve().parent / ".cache"

WINDOW_DAYS = 14  # the candidates: every paper listed in [cut, cut + 14 days)
LIBRARY_CAP = 5  # a user's newest papers before the cut form the library
LIBRARY_TOKENS = 128  # library papers are catalogue papers: DAILYPAPERS_SEARCH_EMBED_TOKENS=128
MIN_LIBRARY = 3
USERS = 1_500  # per split
TEAM_SIZE = 10  # collaborators: co-authors on library papers with at most this many authors
CHUNK = 512


def setup_django() -> None:
    os.environ.setdefault("DAILYPAPERS_DATA_DIR", tempfile.mkdtemp(prefix="dailypapers-rec-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    import django

    django.setup()


def corpus_digest() -> str:
    h = hashlib.sha256()
    for path in sorted((DATA / "arxiv-daily").glob("papers-*.jsonl.gz")):
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}:{int(st.st_mtime)}\n".encode())
    return h.hexdigest()[:12]


def source_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def load_corpus() -> list[dict]:
    """Every paper, with `keys`: its authors' keys (the product's name normalisation); cached."""
    from dailypapers.authors import names

    names_py = Path(names.__file__)
    path = CACHE / f"recommend-corpus-{corpus_digest()}-{source_digest(names_py)}.json.gz"
    if path.exists():
        with gzip.open(path, "rt") as fh:
            return json.load(fh)
    rows = []
    for shard in sorted((DATA / "arxiv-daily").glob("papers-*.jsonl.gz")):
        with gzip.open(shard, "rt") as fh:
            rows.extend(json.loads(line) for line in fh)
    keep = ("id", "title", "abstract", "authors", "categories", "listed_date")
    out = []
    for row in rows:
        slim = {k: row[k] for k in keep}
        slim["keys"] = sorted({k for k in (names.key(a) for a in row["authors"]) if k})
        out.append(slim)
    CACHE.mkdir(exist_ok=True)
    with gzip.open(path, "wt") as fh:
        json.dump(out, fh)
    return out


@dataclass
class User:
    key: str  # the user's own name key: withheld from every method
    library: list[int]  # corpus rows, before the cut
    own: set[int]  # candidate indices of the user's own papers in the window (target kind "next")
    collaborators: set[str]
    team: set[int] = field(default_factory=set)  # candidates by collaborators, not by the user


@dataclass
class Split:
    cut: str
    end: str
    candidates: list[int]  # corpus rows listed in the window
    dev: list[User]
    test: list[User]
    qualifying: int


def users_at(rows: list[dict], cut: str, seed: int, per_split: int = USERS) -> Split:
    """Users with >= MIN_LIBRARY papers before the cut and >= 1 in the window, shuffled by
    `seed` into disjoint dev and test sets."""
    end = (dt.date.fromisoformat(cut) + dt.timedelta(days=WINDOW_DAYS)).isoformat()
    candidates = [i for i, r in enumerate(rows) if cut <= r["listed_date"] < end]
    cand_index = {rows[i]["id"]: n for n, i in enumerate(candidates)}
    by_author: dict[str, list[int]] = collections.defaultdict(list)
    for i, row in enumerate(rows):
        if row["listed_date"] < end:
            for k in row["keys"]:
                by_author[k].append(i)
    users = []
    for author in sorted(by_author):
        papers = by_author[author]
        before = sorted(
            (i for i in papers if rows[i]["listed_date"] < cut),
            key=lambda i: (rows[i]["listed_date"], rows[i]["id"]),
        )
        own = {cand_index[rows[i]["id"]] for i in papers if rows[i]["id"] in cand_index}
        if len(before) >= MIN_LIBRARY and own:
            library = before[-LIBRARY_CAP:]
            collaborators = {
                k for i in library if len(rows[i]["keys"]) <= TEAM_SIZE for k in rows[i]["keys"]
            } - {author}
            users.append(User(author, library, own, collaborators))
    random.Random(seed).shuffle(users)
    chosen = users[: 2 * per_split]
    for user in chosen:
        for k in user.collaborators:
            for i in by_author[k]:
                n = cand_index.get(rows[i]["id"])
                if n is not None and user.key not in rows[i]["keys"]:
                    user.team.add(n)
    return Split(
        cut, end, candidates, chosen[:per_split], chosen[per_split:], qualifying=len(users)
    )


def embedding_key(tokens: int) -> str:
    """The product's encoder: its code, model and word pieces (a change embeds again)."""
    from dailypapers.core import embedding
    from dailypapers.search import semantic

    code = source_digest(Path(embedding.__file__), Path(semantic.__file__))
    return f"{embedding.MODEL_NAME}-{tokens}-{code}"


def embed(rows: list[dict], wanted: list[int], tokens: int, log=sys.stderr):  # -> dict
    """The product's vectors of these corpus rows by paper id, cut at `tokens` word pieces as the
    product embeds them (256 for a paper of the feed, DAILYPAPERS_SEARCH_EMBED_TOKENS for the
    catalogue), cached per text in chunks under benchmarks/.cache/ (keyed on the encoder's code,
    model and settings; resumable)."""
    import numpy as np

    from dailypapers.core import embedding
    from dailypapers.search.semantic import paper_text, text_hash

    store = CACHE / f"recommend-emb-{embedding_key(tokens)}"
    store.mkdir(parents=True, exist_ok=True)
    known: dict[str, np.ndarray] = {}
    for meta in sorted(store.glob("*.json")):
        vec = meta.with_suffix(".npy")
        if vec.exists():
            hashes = json.loads(meta.read_text())
            known.update(zip(hashes, np.load(vec), strict=True))
    texts = {}
    for i in wanted:
        text = paper_text(rows[i]["title"], rows[i]["abstract"])
        texts[rows[i]["id"]] = (text, text_hash(text))
    missing = sorted({(h, t) for t, h in texts.values() if h not in known})
    if missing:
        encoder = embedding.Encoder.get(bulk=True, max_tokens=tokens)
        start = time.perf_counter()
        for n in range(0, len(missing), CHUNK):
            part = missing[n : n + CHUNK]
            vectors = encoder.encode([t for _, t in part]).astype(np.float32)
            name = hashlib.sha256("".join(h for h, _ in part).encode()).hexdigest()[:16]
            np.save(store / f"{name}.npy", vectors)
            (store / f"{name}.json").write_text(json.dumps([h for h, _ in part]))
            known.update(zip((h for h, _ in part), vectors, strict=True))
            done = n + len(part)
            rate = done / (time.perf_counter() - start)
            print(f"  embedded {done:,}/{len(missing):,} ({rate:.0f}/s)", file=log, flush=True)
    return {pid: known[h] for pid, (_, h) in texts.items()}


def library_rows(split: Split) -> list[int]:
    return sorted({i for user in split.dev + split.test for i in user.library})


def main() -> None:
    parser = argparse.ArgumentParser(description="fill the embedding cache of some cuts")
    parser.add_argument("--cut", action="append", required=True)
    parser.add_argument("--seed", type=int, action="append")
    args = parser.parse_args()
    setup_django()
    rows = load_corpus()
    for seed in args.seed or [7]:
        for cut in args.cut:
            split = users_at(rows, cut, seed)
            libraries = library_rows(split)
            print(
                f"{cut} seed {seed}: {split.qualifying:,} users, {len(split.candidates):,} "
                f"candidates, {len(libraries):,} library papers",
                file=sys.stderr,
                flush=True,
            )
            embed(rows, split.candidates, 256)
            embed(rows, libraries, LIBRARY_TOKENS)


if __name__ == "__main__":
    main()
