"""Site-wide pages: robots.txt, the sitemap of paper pages, and the 404 and 500 pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from dailypapers.middleware import error_response, is_api
from dailypapers.papers.models import Paper


class PaperSitemap(Sitemap):
    """Every paper page of the catalogue, in pages of 10,000 (a sitemap index links them)."""

    limit = 10_000

    def items(self):  # type: ignore[no-untyped-def]
        return Paper.objects.only("id", "arxiv_id", "updated_at").order_by("id")

    def location(self, paper: Paper) -> str:
        return paper.get_absolute_url()

    def lastmod(self, paper: Paper):  # type: ignore[no-untyped-def]
        return paper.updated_at


class ListingSitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["papers:home", "papers:trending", "papers:arxiv", "papers:latest-week"]

    def location(self, name: str) -> str:
        return reverse(name)


SITEMAPS = {"listings": ListingSitemap, "papers": PaperSitemap}


def robots(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /vote/",
        "Disallow: /digest/",
        "Allow: /",
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap-index')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


GENERIC_404 = ("matches the given query", "Resolver404", "tried", "path")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: our own message when we gave one ("'x' is not an arXiv id"), never Django's
    internals ("Resolver404", "No Paper matches the given query")."""
    message = str(exception or "")
    if not message or any(word in message for word in GENERIC_404):
        message = "There is nothing at this address."
    if is_api(request):
        return error_response(request, message, 404)
    return render(request, "404.html", {"message": message}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: no database, no session needed to draw it."""
    if is_api(request):
        return error_response(request, "Internal error; it has been logged.", 500)
    return HttpResponseServerError(
        render_to_string("500.html", {"static_url": settings.STATIC_URL})
    )
