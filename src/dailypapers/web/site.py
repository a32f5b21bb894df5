"""Site-wide pages: robots.txt, the sitemap, the 404, 500 and 503 pages, and the health checks
a load balancer asks (`/healthz`: the process answers; `/readyz`: it can serve what the
database holds)."""

from __future__ import annotations

import datetime as dt
import sys

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from dailypapers.core import health
from dailypapers.library.models import Collection
from dailypapers.papers.models import Paper
from dailypapers.search import indexer
from dailypapers.web.middleware import error_response, is_api


class PaperSitemap(Sitemap):
    """Every paper page of the catalogue, in pages of 10,000 (a sitemap index links them)."""

    limit = 10_000

    def items(self) -> QuerySet[Paper]:
        return Paper.objects.only("id", "arxiv_id", "updated_at").order_by("id")

    def location(self, paper: Paper) -> str:
        return paper.get_absolute_url()

    def lastmod(self, paper: Paper) -> dt.datetime:
        return paper.updated_at


class ListingSitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["papers:home", "papers:trending", "papers:arxiv", "papers:latest-week"]

    def location(self, name: str) -> str:
        return reverse(name)


class CollectionSitemap(Sitemap):
    """Public collections only: a private one is never listed."""

    changefreq = "weekly"
    limit = 10_000

    def items(self) -> QuerySet[Collection]:
        return Collection.objects.filter(public=True).order_by("pk")

    def lastmod(self, collection: Collection) -> dt.datetime:
        return collection.updated_at


SITEMAPS = {"listings": ListingSitemap, "papers": PaperSitemap, "collections": CollectionSitemap}


def robots(request: HttpRequest) -> HttpResponse:
    if settings.PRIVATE:  # a private instance: no robot is welcome anywhere
        return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")
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


RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """500: no database, no session needed to draw it. When the error is that the database
    cannot be reached, 503 with Retry-After: the site is down for a moment, not broken."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return unavailable(request)
    if is_api(request):
        return error_response(request, "Internal error; it has been logged.", 500)
    return HttpResponseServerError(
        render_to_string("500.html", {"static_url": settings.STATIC_URL})
    )


def unavailable(request: HttpRequest) -> HttpResponse:
    message = "The database cannot be reached just now. Please try again in a minute."
    if is_api(request):
        response: HttpResponse = JsonResponse({"error": message}, status=503)
    else:
        page = render_to_string(
            "500.html",
            {
                "static_url": settings.STATIC_URL,
                "heading": "Back in a moment",
                "message": message,
                "retry_url": request.get_full_path(),
            },
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers (no database, no queue: a load balancer's liveness check)."""
    response = HttpResponse("ok\n", content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response


def readyz(request: HttpRequest) -> JsonResponse:
    """Whether this node can serve what the database holds: the database answers, the queue
    answers, and this machine's search index is at most DAILYPAPERS_READY_MAX_LAG seconds behind
    the change log. 503 (with the failing part named) otherwise."""
    checks: dict[str, dict] = {}
    db, queue = health.database(), health.queue()
    checks["database"] = (
        {"ok": True, "ms": db.value} if db.ok else {"ok": False, "error": db.detail}
    )
    checks["queue"] = (
        {"ok": True, "pending_tasks": int(queue.value or 0)}
        if queue.ok
        else {"ok": False, "error": queue.detail}
    )
    if checks["database"]["ok"]:
        try:
            lag = indexer.lag()
            ok = not lag.rebuild and lag.seconds <= settings.READY_MAX_LAG
            checks["search_index"] = {
                "ok": ok,
                "pending_changes": lag.pending,
                "lag_seconds": round(lag.seconds, 1),
                **({"rebuild": lag.rebuild} if lag.rebuild else {}),
            }
        except (DatabaseError, OSError) as exc:
            checks["search_index"] = {"ok": False, "error": str(exc)[:200]}
    ready = all(check["ok"] for check in checks.values()) and "search_index" in checks
    response = JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    if not ready:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
