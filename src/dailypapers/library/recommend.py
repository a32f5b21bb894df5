"""The "For you" ranking: new papers scored against a model of one reader's interests.

A reader's *library* is what they told us they care about: papers they saved in collections,
upvoted or claimed as their own, and papers they asked "more like this" of (each a stored unit
vector, weighted by how strong a signal it is); the authors of those papers, the authors and
categories they follow, and the papers they marked "not interested". A candidate paper (the
day's or week's curated feed and "New on arXiv") gets these signals, the content ones
standardised over the candidates so that their weights mean the same for every reader:

- **neighbours**: the mean cosine similarity to its `K` nearest library papers (a reader with two
  interests is served on both; a centroid would sit between them);
- **linear**: a per-reader linear model over the vectors, ridge regression with the library as
  positives and the candidates themselves as (mostly right) negatives, the way arxiv-sanity
  trains its SVM against everything else;
- **rocchio** and **tfidf_nearest** (optional: only when TF-IDF rows are passed, see `rank`):
  over arxiv-sanity's own TF-IDF vectorizer settings, the candidate's similarity to the library
  centroid minus the candidates' centroid (Rocchio), and to its nearest library paper;
- **authors** (bounded): papers by authors of library papers. Each author counts the kind's weight
  divided by the number of authors of the library paper that brought them (a 100-author paper
  brings 100 names worth 1/100 each), log-damped, then scaled into `[0, authors]` standard units
  (a fixed scale, not divided by the signal's spread: a sparse signal's spread is tiny, and one
  shared name used to be worth +18 units, above every content match). A strong content match is
  3 units or more on each content signal, so a shared author lifts a paper without burying
  content. Only the `per_author` best candidates by content get the lift of one name, so one
  author never floods the view;
- **followed**: an author the reader follows explicitly: a fixed lift of `followed` units;
- **categories**: the share of the candidate's categories that the reader follows;
- **dislike**: minus `dislike` units times how close the candidate is to a paper the reader
  marked "not interested" (cosine similarity from `NEAR` up to 1 maps to 0..1).

Public function for other callers (benchmarks/recommend.py calls it with plain arrays, no
database): `rank(library, vectors, authors, categories, params=DEFAULT, gram=None,
tfidf=None)`. Inputs added for issue 29, all optional with defaults that keep an older call's
meaning apart from the bounded author signal: `Library.followed` (followed author keys),
`Library.negatives` (unit vectors of "not interested" papers), `Library.tfidf` /
`rank(tfidf=...)` (L2-normalised TF-IDF rows of the library and the candidates, dense or scipy
sparse, one vectorizer for both), `Params.rocchio`, `Params.tfidf_nearest`, `Params.followed`,
`Params.per_author`, `Params.dislike`. The caller computes `Library.authors` the product's
way to rank like it: each library paper adds `WEIGHTS[kind] / its number of author keys` to each
of its authors, the reader's own keys left out (`foryou.library_of`); followed authors go in
`Library.followed`, not in `authors`. `tfidf_matrix(texts)` builds such rows with
arxiv-sanity's settings (scikit-learn, the `bench` extra: the product does not compute TF-IDF at
request time, see docs/collections.md).

`diversify` then reorders the top picks (maximal marginal relevance) so that one topic does not
fill the page. Everything is numpy over vectors already stored: a day's ranking for one reader
at 700 candidates takes a few milliseconds (benchmarks/recommend_latency.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Signal strength of each kind of library paper ("liked": the reader asked "more like this").
WEIGHTS = {"saved": 1.0, "claimed": 1.0, "voted": 0.6, "liked": 1.2}
NEAR = 0.5  # cosine similarity from which a "not interested" paper pushes a candidate down


@dataclass(frozen=True)
class Params:
    # Content weights chosen on the development set of benchmarks/recommend.py; the author,
    # follow and dislike weights are bounded by construction (see the module's docstring).
    neighbours: float = 1.0
    linear: float = 1.0
    authors: float = 1.0  # at most this many standard units for shared authors
    categories: float = 0.2
    k: int = 1
    ridge: float = 1.0
    followed: float = 2.0  # standard units for an explicitly followed author
    per_author: int = 3  # candidates (best by content) one author name may lift
    dislike: float = 4.0  # standard units off at cosine 1 to a "not interested" paper
    rocchio: float = 0.5  # used only when TF-IDF rows are given
    tfidf_nearest: float = 0.5  # used only when TF-IDF rows are given


DEFAULT = Params()


@dataclass
class Library:
    """What one reader cares about. `vectors` are unit rows, one per library paper; `authors`
    maps an author key to its weight; `followed` are the author keys followed explicitly;
    `negatives` the unit vectors of papers marked "not interested"; `tfidf` (optional) the
    library papers' TF-IDF rows, in the order of `vectors`."""

    vectors: np.ndarray
    weights: np.ndarray
    authors: dict[str, float] = field(default_factory=dict)
    categories: set[str] = field(default_factory=set)
    followed: set[str] = field(default_factory=set)
    negatives: np.ndarray | None = None
    tfidf: Any = None

    @property
    def empty(self) -> bool:
        return (
            len(self.vectors) == 0
            and not self.authors
            and not self.categories
            and not self.followed
        )


@dataclass
class Ranked:
    scores: np.ndarray  # one per candidate, higher is better
    nearest: np.ndarray  # per candidate, the index of its most similar library paper (-1: none)
    similarity: np.ndarray  # that paper's cosine similarity
    author_hits: list[list[str]]  # per candidate, the library's authors among its authors
    content: np.ndarray | None = None  # the content part of `scores` (standard units)
    lifted: list[list[str]] = field(default_factory=list)  # authors whose lift was applied
    followed_hits: list[list[str]] = field(default_factory=list)  # followed authors on it
    author_lift: np.ndarray | None = None  # what shared authors added (standard units)


def _standard(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    if not np.isfinite(spread) or spread < 1e-9:
        return np.zeros_like(values)
    return (values - values.mean()) / spread


def candidate_gram(candidates: np.ndarray) -> np.ndarray:
    """Cᵀ C of the candidates: the same for every reader ranking them (compute it once)."""
    c = candidates.astype(np.float64)
    return c.T @ c


def linear_model(
    library: Library, candidates: np.ndarray, ridge: float, gram: np.ndarray | None = None
) -> np.ndarray:
    """Weights of a ridge regression: library rows -> 1, candidate rows -> 0, the two classes
    weighted equally. A closed form over 384 dimensions: with the candidates' `gram` given,
    a fraction of a millisecond."""
    positives = library.vectors.astype(np.float64)
    total = len(positives) + len(candidates)
    pos_scale = total / (2 * max(float(library.weights.sum()), 1e-9))
    neg_scale = total / (2 * max(len(candidates), 1))
    weighted = positives * (library.weights * pos_scale)[:, None]
    if gram is None:
        gram = candidate_gram(candidates)
    system = weighted.T @ positives + neg_scale * gram + ridge * np.eye(positives.shape[1])
    return np.linalg.solve(system, weighted.sum(axis=0))


def tfidf_matrix(texts: Sequence[str], min_df: int = 5) -> Any:
    """L2-normalised TF-IDF rows of `texts` (title and abstract) with arxiv-sanity's vectorizer
    settings (those of benchmarks/recommend.py); scikit-learn is needed (the `bench` extra)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20_000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.1,
        min_df=min_df,
    )
    return vectorizer.fit_transform(texts)


def _dense(values: Any) -> np.ndarray:
    return np.asarray(values.toarray() if hasattr(values, "toarray") else values).ravel()


def _tfidf_signals(library: Library, candidates: Any, params: Params) -> np.ndarray:
    """Rocchio (library centroid minus candidates' centroid) and nearest library paper, both
    standardised, over TF-IDF rows."""
    out = np.zeros(candidates.shape[0])
    lib = library.tfidf
    weights = library.weights.astype(np.float64)
    if params.rocchio:
        centroid = _dense(lib.T @ weights) / max(float(weights.sum()), 1e-9)
        background = _dense(candidates.mean(axis=0))
        out += params.rocchio * _standard(_dense(candidates @ (centroid - background)))
    if params.tfidf_nearest:
        sims = candidates @ lib.T
        sims = sims.toarray() if hasattr(sims, "toarray") else np.asarray(sims)
        out += params.tfidf_nearest * _standard(sims.max(axis=1))
    return out


def rank(
    library: Library,
    vectors: np.ndarray,
    authors: Sequence[Sequence[str]],
    categories: Sequence[Sequence[str]],
    params: Params = DEFAULT,
    gram: np.ndarray | None = None,
    tfidf: Any = None,
) -> Ranked:
    """Scores of the candidates (`vectors` rows, with their author keys and categories);
    `gram` is `candidate_gram(vectors)` when several readers rank the same candidates;
    `tfidf` the candidates' TF-IDF rows (same vectorizer as `library.tfidf`): with both given,
    the two TF-IDF signals are added."""
    count = len(vectors)
    content = np.zeros(count)
    nearest = np.full(count, -1)
    similarity = np.zeros(count)
    if len(library.vectors) and count:
        sims = vectors @ library.vectors.T * library.weights[None, :]
        k = min(params.k, sims.shape[1])
        top = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
        content += params.neighbours * _standard(top.mean(axis=1))
        nearest = sims.argmax(axis=1)
        similarity = sims[np.arange(count), nearest] / library.weights[nearest]
        if params.linear and count > 1:
            w = linear_model(library, vectors, params.ridge, gram)
            content += params.linear * _standard(vectors @ w)
        if tfidf is not None and library.tfidf is not None and library.tfidf.shape[0]:
            content += _tfidf_signals(library, tfidf, params)
    total = content.copy()
    # Shared authors: bounded, and one name lifts only its `per_author` best candidates.
    hits: list[list[str]] = []
    follows: list[list[str]] = []
    for keys in authors:
        hits.append([key for key in keys if key in library.authors])
        follows.append([key for key in keys if key in library.followed])
    lifted: list[list[str]] = [[] for _ in range(count)]
    author_scores = np.zeros(count)
    if params.authors and library.authors:
        used: dict[str, int] = {}
        for i in np.argsort(-content, kind="stable"):
            if not hits[i]:
                continue
            for key in hits[i]:
                if used.get(key, 0) < params.per_author:
                    used[key] = used.get(key, 0) + 1
                    lifted[i].append(key)
            if lifted[i]:
                weight = sum(library.authors[key] for key in lifted[i])
                author_scores[i] = min(1.0, math.log1p(weight) / math.log1p(1.0))
        author_scores *= params.authors
        total += author_scores
    if params.followed and library.followed:
        total += params.followed * np.array([1.0 if f else 0.0 for f in follows])
    if params.categories and library.categories:
        shares = np.array(
            [
                sum(c in library.categories for c in cats) / len(cats) if cats else 0.0
                for cats in categories
            ]
        )
        total += params.categories * shares
    if params.dislike and library.negatives is not None and len(library.negatives) and count:
        closest = (vectors @ library.negatives.T).max(axis=1)
        total -= params.dislike * np.clip((closest - NEAR) / (1 - NEAR), 0.0, 1.0)
    return Ranked(total, nearest, similarity, hits, content, lifted, follows, author_scores)


def diversify(
    order: Sequence[int], vectors: np.ndarray, scores: np.ndarray, top: int, strength: float = 0.3
) -> list[int]:
    """The first `top` of `order` (best first) reordered by maximal marginal relevance: each next
    pick trades its score against its similarity to the picks before it."""
    pool = np.asarray(list(order[: top * 2]), dtype=np.int64)
    if not len(pool):
        return []
    relevance = _standard(scores[pool].astype(np.float64)) if len(pool) > 1 else np.zeros(1)
    pool_vectors = vectors[pool].astype(np.float32)
    similar = pool_vectors @ pool_vectors.T  # one product instead of one per pick
    closest = np.zeros(len(pool))
    taken = np.zeros(len(pool), dtype=bool)
    chosen: list[int] = []
    while len(chosen) < min(top, len(pool)):
        value = np.where(taken, -np.inf, relevance - strength * 3 * closest)
        best = int(np.argmax(value))  # the first of equals, as in `order`
        taken[best] = True
        chosen.append(int(pool[best]))
        np.maximum(closest, similar[best], out=closest)
    return chosen + [int(i) for i in order[top * 2 :]][: max(0, top - len(chosen))]
