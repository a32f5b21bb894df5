"""Author pages: every paper by a written name (and the forms merged into it), its co-authors,
categories, dates and votes, an RSS feed, and a curator's merge of two written forms."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dailypapers.community.services import voted_papers
from dailypapers.people import names, service
from dailypapers.people.models import Author


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 6 else 1


def author(request: HttpRequest, key: str) -> HttpResponse:
    found = service.resolve(key) or service.resolve(names.key(key.replace("-", " ")))
    if found is None:  # `/authors/Yann LeCun` finds `/authors/yann-lecun`
        raise Http404("No paper here has an author written so.")
    if found.key != key:  # another spelling's address, or a form merged into this author
        return redirect(found.get_absolute_url(), permanent=False)
    data = service.author_page(found, _page_number(request.GET.get("page")))
    context = {
        "data": data,
        "voted": voted_papers(request.user, [p.pk for p in data.papers]),
        "can_merge": request.user.has_perm("people.merge_author"),
        "search_query": f'author:"{found.name}"',
    }
    return render(request, "people/author.html", context)


@require_POST
@permission_required("people.merge_author", raise_exception=True)
def merge(request: HttpRequest, key: str) -> HttpResponse:
    """A curator says two written forms are one person (`into`), or undoes it (`unmerge`)."""
    source = Author.objects.filter(key=key).first()
    if source is None:
        raise Http404("No such author.")
    if request.POST.get("unmerge"):
        target = service.resolve(source.key)
        service.unmerge(source)
        messages.success(request, f"“{source.name}” has its own page again.")
        return redirect(target.get_absolute_url() if target else source.get_absolute_url())
    target = service.resolve(request.POST.get("into", ""))
    if target is None:
        messages.error(request, "Choose the author to merge into.")
        return redirect(source.get_absolute_url())
    try:
        service.merge(source, target)
    except ValueError as exc:
        messages.error(request, str(exc).capitalize() + ".")
        return redirect(source.get_absolute_url())
    messages.success(request, f"“{source.name}” is now shown as “{target.name}”.")
    return redirect(target.get_absolute_url())
