"""Search, as pages and the API call it: parse the user's text, run the legs, fuse, load papers.

Two legs: full text (tantivy, BM25 with the title boosted) and semantic (all-MiniLM-L6-v2
vectors, exact cosine). They are fused by reciprocal rank:

    score(paper) = sum over legs of weight(leg) / (k + rank of the paper in that leg)

with the weights and k from DAILYPAPERS_SEARCH_WEIGHTS and DAILYPAPERS_SEARCH_RRF_K (tuned on
the SciFact train split: benchmarks/search_hybrid.py). The query's constraints (phrases,
exclusions, author:, category:, year:) bind both legs: the semantic leg's candidates are kept
only if the full-text index says they satisfy them. A query with no free text (only filters)
runs on full text alone. Without the semantic extra, search is full text and says so.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from dailypapers.authors import names
from dailypapers.authors import services as people
from dailypapers.authors.models import Author, PaperAuthor
from dailypapers.core.embedding import SemanticUnavailable
from dailypapers.papers.models import Paper
from dailypapers.search import fulltext, semantic
from dailypapers.search.grammar import Query, parse

log = logging.getLogger(__name__)
FULLTEXT = "full text"
HYBRID = "hybrid"
FUSION_DEPTH = 100  # candidates taken from each leg (at least; deeper pages take more)
RELATED_SECONDS = 600
CONSTRAINED_DEPTH = 1000  # semantic candidates looked at when filters may drop most of them


@dataclass
class Results:
    query: Query
    papers: list[Paper]
    total: int
    mode: str = FULLTEXT
    notice: str | None = None
    exact: bool = True  # whether `total` is exact or an upper bound
    author: Author | None = None  # the author the query names, when it is a name
    suggestion: str | None = None  # the query with its misspelt words corrected


def suggestion(text: str, query: Query) -> str | None:
    """The user's text with each word no paper has replaced by its likeliest spelling."""
    fixes = fulltext.FullTextIndex.get().suggest(query)
    if not fixes:
        return None
    for wrong, right in fixes.items():
        text = re.sub(rf"(?<![\w:]){re.escape(wrong)}(?!\w)", right, text)
    return " ".join(text.split())


NAME_WORDS = (2, 5)  # a bare query of this many words may be a person's name


def named_author(query: Query) -> tuple[Author, list[int]] | None:
    """When the whole query is an author's name as the index holds it ("yann lecun", "LeCun,
    Yann"), that author and their papers, newest first; else None. A name is a far stronger
    signal than the words' BM25 (four bare names found nothing relevant before)."""
    if query.phrases or query.authors or query.body or query.excluded:
        text = " ".join(query.phrases) if len(query.phrases) == 1 and not query.words else ""
    else:
        text = " ".join(query.words)
    if not text or not NAME_WORDS[0] <= len(text.split()) <= NAME_WORDS[1]:
        return None
    author = people.resolve(names.key(text))
    if author is None:
        return None
    forms = [author.pk, *Author.objects.filter(merged_into=author).values_list("pk", flat=True)]
    ids = list(
        Paper.objects.filter(
            pk__in=PaperAuthor.objects.filter(author_id__in=forms).values("paper_id")
        )
        .order_by("-published_at", "-pk")
        .values_list("pk", flat=True)[:FUSION_DEPTH]
    )
    return (author, ids) if ids else None


def fuse(legs: list[tuple[list[int], float]], k: int) -> list[int]:
    """Reciprocal-rank fusion of ranked id lists; ties keep the order of first appearance."""
    scores: dict[int, float] = {}
    for ids, weight in legs:
        for rank, pk in enumerate(ids, start=1):
            scores[pk] = scores.get(pk, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda pk: -scores[pk])


def _load(ids: list[int]) -> list[Paper]:
    by_pk = Paper.objects.select_related("entry", "entry__submitted_by").in_bulk(ids)
    return [by_pk[pk] for pk in ids if pk in by_pk]


QUESTION_WORDS = frozenset({
    "how", "what", "why", "which", "who", "whom", "whose", "when", "where", "can", "could",
    "does", "do", "did", "is", "are", "was", "were", "should", "would", "will", "may", "might",
})  # fmt: skip


def is_question(query: Query) -> bool:
    """Whether the free text is a question or a request in everyday words ("how do I make my
    chatbot stop making things up", "can computers detect depression from social media posts?").
    Such queries share few words with the papers they want: the semantic leg finds them better
    (benchmarks/devset: question queries 0.38 nDCG@10 by full text, 0.46 by meaning)."""
    words = query.text.lower().split()
    if len(words) < 3:
        return False
    return words[0] in QUESTION_WORDS or query.text.rstrip().endswith("?")


def leg_weights(query: Query, covered: bool) -> tuple[float, float]:
    """The weights of the full-text and semantic legs for this query: the configured ones, the
    full-text leg's multiplied by DAILYPAPERS_SEARCH_COVERED_WEIGHT when several papers have
    every word of the query (`covered`: the words found what was asked), the semantic leg's by
    DAILYPAPERS_SEARCH_QUESTION_WEIGHT for a question in everyday words."""
    weights = settings.SEARCH_WEIGHTS
    text_weight, semantic_weight = weights["fulltext"], weights["semantic"]
    if covered:
        text_weight *= settings.SEARCH_COVERED_WEIGHT
    if is_question(query):
        semantic_weight *= settings.SEARCH_QUESTION_WEIGHT
    return text_weight, semantic_weight


def semantic_text(query: Query) -> str:
    """The free text the semantic leg embeds, with each word no paper has replaced by its
    likeliest spelling: the vector of a misspelt word is far from the right one's (misspelt
    topics on the development set: 0.32 nDCG@10 by meaning as typed, 0.61 corrected)."""
    fixes = fulltext.FullTextIndex.get().suggest(query)
    if not fixes:
        return query.text
    return " ".join([*query.phrases, *query.body, *(fixes.get(w, w) for w in query.words)])


def ranked_ids(query: Query, *, depth: int, count: bool = True) -> tuple[list[int], int, str, bool]:
    """The fused ranking to `depth` (at least), the number of results (a lower bound unless
    `count`: counting walks every full-text match), the mode, and whether the number is exact."""
    fulltext.ensure()
    index = fulltext.FullTextIndex.get()
    hits = index.search(query, limit=depth, count=count)
    near = _semantic_leg(query, depth)
    if near is None:
        return hits.ids, hits.total, FULLTEXT, count
    text_weight, semantic_weight = leg_weights(query, index.covered(query))
    fused = fuse([(hits.ids, text_weight), (near, semantic_weight)], settings.SEARCH_RRF_K)
    if not count:
        return fused, len(fused), HYBRID, False
    # The results are the full-text matches plus the semantic candidates they do not hold.
    # Exact when every full-text match is in hand; otherwise a candidate outside the top
    # `depth` may be a match too, and the sum is an upper bound ("about", on the page).
    extra = len(set(near) - set(hits.ids))
    return fused, hits.total + extra, HYBRID, hits.total <= len(hits.ids)


def _semantic_leg(query: Query, depth: int) -> list[int] | None:
    """The semantic ranking bound by the query's constraints, or None when the leg does not
    run: not installed or switched off, weighed 0, no free text, or nothing embedded yet."""
    if not (semantic.enabled() and query.text.strip() and settings.SEARCH_WEIGHTS["semantic"]):
        return None
    constrained = fulltext.has_constraints(query)
    try:
        if semantic.VectorIndex.get().empty:
            return None  # a fresh import: full text alone until the worker has embedded it
        found = semantic.search(semantic_text(query), CONSTRAINED_DEPTH if constrained else depth)
        # Only neighbours close enough to mean something: a vector index always has
        # neighbours, and without a floor a gibberish query "found" 100 papers.
        floor = settings.SEARCH_SIMILARITY_FLOOR
        near = [
            pk
            for pk, score in zip(found.ids, found.scores, strict=True)
            if floor <= 0 or score >= floor
        ]
    except SemanticUnavailable as exc:  # e.g. the model package went away under us
        log.warning("semantic search unavailable: %s", exc)
        return None
    if constrained:
        allowed = fulltext.FullTextIndex.get().satisfying(near, query)
        near = [pk for pk in near if pk in allowed][:depth]
    return near


SORTS = ("relevance", "newest", "votes")
SORT_DEPTH = 200  # newest or most voted among this many best matches


def search(
    text: str, *, limit: int = 20, offset: int = 0, count: bool = True, sort: str = "relevance"
) -> Results:
    """One page of results. Without `count`, `total` is only a lower bound (the API and the
    feeds do not show it, and counting every match is the slowest part at a million papers)."""
    query = parse(text)
    notice = semantic.unavailable_reason()
    if query.empty:
        return Results(query, [], 0, notice=notice)
    depth = max(offset + limit, FUSION_DEPTH, SORT_DEPTH if sort != "relevance" else 0)
    ids, total, mode, exact, author = ordered_ids(query, depth=depth, count=count)
    if sort in ("newest", "votes"):
        ids = _sorted(ids[: max(SORT_DEPTH, offset + limit)], sort)
    page = _load(ids[offset : offset + limit])
    found = Results(query, page, total, mode, notice, exact=exact, author=author)
    if count and author is None:  # the page (the API and feeds do not show it)
        found.suggestion = suggestion(text, query)
    return found


def ordered_ids(
    query: Query, *, depth: int, count: bool = True
) -> tuple[list[int], int, str, bool, Author | None]:
    """`ranked_ids`, with the papers of the author the query names first (and that author)."""
    ids, total, mode, exact = ranked_ids(query, depth=depth, count=count)
    if query.categories or query.year_from or query.year_to:
        return ids, total, mode, exact, None
    found = named_author(query)
    if found is None:
        return ids, total, mode, exact, None
    # The author's papers first, then what the words find (without repeating them).
    author, theirs = found
    matched = set(ids)
    total += len([pk for pk in theirs if pk not in matched])
    mine = set(theirs)
    return theirs + [pk for pk in ids if pk not in mine], total, mode, exact, author


def _sorted(ids: list[int], sort: str) -> list[int]:
    """The best matches again, newest first or most upvoted first (ties: relevance)."""
    rank = {pk: i for i, pk in enumerate(ids)}
    rows = Paper.objects.filter(pk__in=ids).values_list(
        "pk", "published_at", "created_at", "upvotes"
    )
    if sort == "newest":
        return [
            pk for pk, *_ in sorted(rows, key=lambda r: (-(r[1] or r[2]).timestamp(), rank[r[0]]))
        ]
    return [pk for pk, *_ in sorted(rows, key=lambda r: (-r[3], rank[r[0]]))]


def related(paper: Paper, k: int = 5) -> list[Paper]:
    """The papers nearest to this one: by vector when it has one, else by its title's words.
    Kept for RELATED_SECONDS in Django's cache (they change only as papers arrive)."""
    key = f"related:{semantic.MODEL_KEY}:{paper.pk}:{k}"
    ids = cache.get(key)
    if ids is None:
        ids = _related_ids(paper, k)
        cache.set(key, ids, RELATED_SECONDS)
    brief = Paper.objects.only("pk", "arxiv_id", "title", "authors").in_bulk(ids)
    return [brief[pk] for pk in ids if pk in brief]


def _related_ids(paper: Paper, k: int) -> list[int]:
    if semantic.enabled():
        try:
            near = semantic.related(paper.pk, k)
        except SemanticUnavailable:
            near = None
        if near is not None:
            return near.ids
    fulltext.ensure()
    words = Query(words=paper.title.split()[:32])
    hits = fulltext.FullTextIndex.get().search(words, limit=k + 1, count=False)
    return [pk for pk in hits.ids if pk != paper.pk][:k]


SIMILAR_MAX = 200  # papers a "similar papers" list goes to


def similar(
    paper: Paper, *, limit: int = 20, offset: int = 0, filters: str = ""
) -> tuple[list[Paper], bool]:
    """The catalogue ranked by closeness to a paper (its vector; its title's words when it has
    none yet), bound by `filters` in the query language (`since:1y category:cs.LG`); returns a
    page of papers and whether more follow."""
    query = parse(filters)
    depth = min(SIMILAR_MAX, offset + limit + 1)
    ids: list[int] | None = None
    if semantic.enabled():
        try:
            near = semantic.related(
                paper.pk, CONSTRAINED_DEPTH if fulltext.has_constraints(query) else depth
            )
        except SemanticUnavailable:
            near = None
        if near is not None:
            ids = near.ids
    fulltext.ensure()
    index = fulltext.FullTextIndex.get()
    if ids is None:
        words = Query(words=paper.title.split()[:32])
        ids = [
            pk
            for pk in index.search(words, limit=CONSTRAINED_DEPTH, count=False).ids
            if pk != paper.pk
        ]
    if fulltext.has_constraints(query):
        allowed = index.satisfying(ids, query)
        ids = [pk for pk in ids if pk in allowed]
    ids = ids[:depth]
    page = _load(ids[offset : offset + limit])
    return page, len(ids) > offset + limit
