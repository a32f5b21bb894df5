"""Search, as pages and the API call it: parse the user's text, run the legs, load the papers.

Only the full-text leg (tantivy, BM25) exists so far; the semantic leg and its fusion by
reciprocal rank are open work (see the README), and the results say which mode answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from dailypapers.papers.models import Paper
from dailypapers.search import fulltext
from dailypapers.search.grammar import Query, parse

MODE = "full text"


@dataclass
class Results:
    query: Query
    papers: list[Paper]
    total: int
    mode: str = MODE


def search(text: str, *, limit: int = 20, offset: int = 0) -> Results:
    query = parse(text)
    if query.empty:
        return Results(query, [], 0)
    fulltext.ensure()
    hits = fulltext.FullTextIndex.get().search(query, limit=limit, offset=offset)
    by_pk = Paper.objects.select_related("entry", "entry__submitted_by").in_bulk(hits.ids)
    papers = [by_pk[pk] for pk in hits.ids if pk in by_pk]
    return Results(query, papers, hits.total)
