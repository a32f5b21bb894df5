"""The "For you" ranking: new papers scored against a model of one reader's interests.

A reader's *library* is what they told us they care about: papers they saved in collections,
upvoted or claimed as their own (each a stored unit vector, weighted by how strong a signal it
is), the authors of those papers and the authors and categories they follow. A candidate paper
(the day's or week's curated feed and "New on arXiv") gets four signals, each standardised over
the candidates so that their weights mean the same for every reader:

- **neighbours**: the mean cosine similarity to its `K` nearest library papers (a reader with two
  interests is served on both; a centroid would sit between them);
- **linear**: a per-reader linear model over the vectors, ridge regression with the library as
  positives and the candidates themselves as (mostly right) negatives, the way arxiv-sanity
  trains its SVM against everything else. It learns what sets the reader's papers apart, not
  merely what they are near;
- **authors**: papers by authors of the library (the reader's own name when they claimed papers,
  their co-authors, authors they follow), log-damped;
- **categories**: the share of the candidate's categories that the reader follows.

The weights were tuned on a development set of authors and are reported on a disjoint test set
by `benchmarks/recommend.py`. `diversify` then reorders the top picks (maximal marginal
relevance) so that one topic does not fill the page. Everything is numpy over vectors already
stored: a day's ranking for one reader takes a few milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# Signal strength of each kind of library paper.
WEIGHTS = {"saved": 1.0, "claimed": 1.0, "voted": 0.6}


@dataclass(frozen=True)
class Params:
    # Chosen on the development set of benchmarks/recommend.py (the category weight is not:
    # its readers follow nothing).
    neighbours: float = 1.0
    linear: float = 1.0
    authors: float = 1.5
    categories: float = 0.2
    k: int = 1
    ridge: float = 1.0


DEFAULT = Params()


@dataclass
class Library:
    """What one reader cares about. `vectors` are unit rows, one per library paper."""

    vectors: np.ndarray
    weights: np.ndarray
    authors: dict[str, float] = field(default_factory=dict)
    categories: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return len(self.vectors) == 0 and not self.authors and not self.categories


@dataclass
class Ranked:
    scores: np.ndarray  # one per candidate, higher is better
    nearest: np.ndarray  # per candidate, the index of its most similar library paper (-1: none)
    similarity: np.ndarray  # that paper's cosine similarity
    author_hits: list[list[str]]  # per candidate, the library's authors among its authors


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


def rank(
    library: Library,
    vectors: np.ndarray,
    authors: Sequence[Sequence[str]],
    categories: Sequence[Sequence[str]],
    params: Params = DEFAULT,
    gram: np.ndarray | None = None,
) -> Ranked:
    """Scores of the candidates (`vectors` rows, with their author keys and categories);
    `gram` is `candidate_gram(vectors)` when several readers rank the same candidates."""
    count = len(vectors)
    total = np.zeros(count)
    nearest = np.full(count, -1)
    similarity = np.zeros(count)
    if len(library.vectors) and count:
        sims = vectors @ library.vectors.T * library.weights[None, :]
        k = min(params.k, sims.shape[1])
        top = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
        total += params.neighbours * _standard(top.mean(axis=1))
        nearest = sims.argmax(axis=1)
        similarity = sims[np.arange(count), nearest] / library.weights[nearest]
        if params.linear and count > 1:
            w = linear_model(library, vectors, params.ridge, gram)
            total += params.linear * _standard(vectors @ w)
    hits: list[list[str]] = []
    author_scores = np.zeros(count)
    for i, keys in enumerate(authors):
        found = [key for key in keys if key in library.authors]
        hits.append(found)
        if found:
            author_scores[i] = math.log1p(sum(library.authors[key] for key in found))
    if params.authors and author_scores.any():
        total += params.authors * author_scores / max(author_scores.std(), 1e-9)
    if params.categories and library.categories:
        shares = np.array(
            [
                sum(c in library.categories for c in cats) / len(cats) if cats else 0.0
                for cats in categories
            ]
        )
        total += params.categories * shares
    return Ranked(total, nearest, similarity, hits)


def diversify(
    order: Sequence[int], vectors: np.ndarray, scores: np.ndarray, top: int, strength: float = 0.3
) -> list[int]:
    """The first `top` of `order` (best first) reordered by maximal marginal relevance: each next
    pick trades its score against its similarity to the picks before it."""
    pool = list(order[: top * 2])
    if not pool:
        return []
    z = _standard(scores[pool]) if len(pool) > 1 else np.zeros(1)
    relevance = dict(zip(pool, z, strict=True))
    chosen: list[int] = []
    closest = dict.fromkeys(pool, 0.0)
    while pool and len(chosen) < top:
        best = max(pool, key=lambda i: relevance[i] - strength * 3 * closest[i])
        pool.remove(best)
        chosen.append(best)
        if pool:
            sims = vectors[pool] @ vectors[best]
            for i, s in zip(pool, sims, strict=True):
                closest[i] = max(closest[i], float(s))
    return chosen + [i for i in order[top * 2 :]][: max(0, top - len(chosen))]
