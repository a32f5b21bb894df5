"""The one way to look a paper up by the key in its address: an arXiv id (any accepted form,
with or without version) or `local-<n>` for a paper without one (the demo has some)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.models import Paper

# A primary key has at most 19 digits (a 64-bit integer): a longer number is no paper's.
MAX_PK_DIGITS = 19


def paper_by_key(key: str, papers: QuerySet[Paper] | None = None) -> Paper | None:
    """The paper `key` names, from `papers` (all papers by default), or None."""
    papers = Paper.objects.all() if papers is None else papers
    local = key.removeprefix("local-")
    if key.startswith("local-"):
        if not (local.isascii() and local.isdigit() and len(local) <= MAX_PK_DIGITS):
            return None
        return papers.filter(pk=int(local), arxiv_id__isnull=True).first()
    try:
        arxiv_id = parse_arxiv_id(key).id
    except InvalidArxivId:
        return None
    return papers.filter(arxiv_id=arxiv_id).first()


def find_paper(key: str, papers: QuerySet[Paper] | None = None) -> Paper:
    """`paper_by_key`, or Http404 saying why (a key that is no arXiv id says what is wrong)."""
    paper = paper_by_key(key, papers)
    if paper is not None:
        return paper
    if not key.startswith("local-"):
        try:
            parse_arxiv_id(key)
        except InvalidArxivId as exc:
            raise Http404(str(exc)) from None
    raise Http404("Paper not found")
