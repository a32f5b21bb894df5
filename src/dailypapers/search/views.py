"""The search page."""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.community.services import voted_papers
from dailypapers.search.service import search as run_search

PAGE_SIZE = 20
MAX_PAGES = 50


def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:500]
    page_text = request.GET.get("page", "1")
    page = int(page_text) if page_text.isascii() and page_text.isdigit() else 1
    page = min(max(page, 1), MAX_PAGES)
    offset = (page - 1) * PAGE_SIZE
    results = run_search(q, limit=PAGE_SIZE, offset=offset)
    pages = min(MAX_PAGES, math.ceil(results.total / PAGE_SIZE)) if results.total else 0
    context = {
        "q": q,
        "results": results,
        "page": page,
        "pages": pages,
        "offset": offset,
        "voted": voted_papers(request.user, [p.pk for p in results.papers]),
    }
    return render(request, "search/results.html", context)
