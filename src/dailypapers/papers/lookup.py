"""A plain database search over titles, abstracts and authors.

It stands in for the hybrid search of the search issue (full text + semantic) in the API's
/api/papers/search and the search feed until that lands: every word must appear, the papers with
the most votes first. It is a LIKE scan: fine for a community's thousands of papers, slow at arXiv
scale (hundreds of ms at 145k papers).
"""

from __future__ import annotations

import re

from django.db.models import F, Q, QuerySet

from dailypapers.papers.models import Paper

MAX_QUERY_CHARS = 250
MAX_WORDS = 8


def find_papers(query: str, limit: int) -> QuerySet[Paper]:
    words = [w for w in re.findall(r"\w[\w.+-]*", query[:MAX_QUERY_CHARS]) if len(w) > 1][
        :MAX_WORDS
    ]
    condition = Q()
    for word in words:
        condition &= (
            Q(title__icontains=word) | Q(abstract__icontains=word) | Q(authors__icontains=word)
        )
    if not words:
        return Paper.objects.none()
    return (
        Paper.objects.filter(condition)
        .select_related("entry", "entry__submitted_by")
        .order_by(F("entry__upvotes").desc(nulls_last=True), "-id")[:limit]
    )
