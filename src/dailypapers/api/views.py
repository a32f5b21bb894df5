"""Views beside the API: a paper as Markdown (`/papers/{id}.md`), and managing API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dailypapers.api.models import ApiToken
from dailypapers.api.shapes import paper_markdown
from dailypapers.papers.views import find_paper

MAX_TOKENS = 10


def paper_md(request: HttpRequest, key: str) -> HttpResponse:
    try:
        paper = find_paper(key)
    except Http404:
        paper = None
    if paper is None:
        return HttpResponse(
            "Paper not found\n", status=404, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(paper_markdown(paper), content_type="text/markdown; charset=utf-8")


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    if ApiToken.objects.filter(user=request.user).count() >= MAX_TOKENS:
        messages.error(request, f"You can have {MAX_TOKENS} tokens; revoke one first.")
    else:
        token, secret = ApiToken.create_for(request.user, request.POST.get("name", ""))
        messages.success(
            request,
            f"Your new token “{token.name}”: {secret} — copy it now, it will not be shown again.",
        )
    return redirect("community:profile", request.user.get_username())


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    deleted, _ = ApiToken.objects.filter(pk=pk, user=request.user).delete()
    if deleted:
        messages.success(request, "The token was revoked.")
    return redirect("community:profile", request.user.get_username())
