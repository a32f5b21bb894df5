"""The search page: the query box, filters (category, years) and pages of results."""

from __future__ import annotations

import math
import re
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.community.services import voted_papers
from dailypapers.papers import cite
from dailypapers.papers.categories import NAMES
from dailypapers.search import highlight
from dailypapers.search.services import SORTS
from dailypapers.search.services import search as run_search
from dailypapers.web.params import bounded_int

PAGE_SIZE = 20
MAX_PAGES = 50
CATEGORY = re.compile(r"[A-Za-z][A-Za-z.-]{0,30}")
YEAR = re.compile(r"(19|20|21)\d\d")


def _filters(request: HttpRequest) -> dict[str, str]:
    """The filter fields that hold valid values (anything else is ignored)."""
    cleaned = {}
    category = request.GET.get("category", "").strip()
    if CATEGORY.fullmatch(category):
        cleaned["category"] = category
    for name in ("from", "to"):
        year = request.GET.get(name, "").strip()
        if YEAR.fullmatch(year):
            cleaned[name] = year
    return cleaned


def _text(request: HttpRequest) -> tuple[str, dict[str, str], str]:
    """The query as typed, the valid filters, and both as one query of the grammar."""
    q = request.GET.get("q", "")[:500]
    filters = _filters(request)
    text = q
    if "category" in filters:
        text += f" category:{filters['category']}"
    if "from" in filters or "to" in filters:
        text += f" year:{filters.get('from', '')}..{filters.get('to', '')}"
    return q, filters, text


def _page(request: HttpRequest) -> int:
    page = bounded_int(request.GET.get("page"), 0, 999_999) or 1
    return min(max(page, 1), MAX_PAGES)


def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The results page being looked at, as BibTeX or RIS (`/search.bib?q=...&page=2`)."""
    _, _, text = _text(request)
    if not text.strip():
        return HttpResponse("Give a search with ?q=...\n", status=400, content_type="text/plain")
    offset = (_page(request) - 1) * PAGE_SIZE
    papers = run_search(text, limit=PAGE_SIZE, offset=offset, count=False).papers
    if fmt == "bib":
        body, content_type = cite.bibtex_many(papers), "application/x-bibtex; charset=utf-8"
    else:
        body = cite.ris_many(papers)
        content_type = "application/x-research-info-systems; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="search.{fmt}"'
    return response


def search(request: HttpRequest) -> HttpResponse:
    q, filters, text = _text(request)
    page = _page(request)
    offset = (page - 1) * PAGE_SIZE
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTS else "relevance"
    if sort != "relevance":
        filters["sort"] = sort
    results = run_search(text, limit=PAGE_SIZE, offset=offset, sort=sort)
    highlight.annotate(results.query, results.papers)
    pages = min(MAX_PAGES, math.ceil(results.total / PAGE_SIZE)) if results.total else 0
    context = {
        "q": q,
        "filters": filters,
        "searched": bool(text.strip()),
        "categories": sorted(NAMES.items()),
        "base_query": urlencode({"q": q, **filters}),
        "feed_q": text.strip(),
        "results": results,
        "page": page,
        "pages": pages,
        "offset": offset,
        "voted": voted_papers(request.user, [p.pk for p in results.papers]),
        "sorts": SORTS,
        "sort": sort,
    }
    return render(request, "search/results.html", context)
