"""Middleware: input that cannot be stored is refused at the edge; the API answers in JSON.

- `RefuseUnstorableInput`: a NUL byte or a lone surrogate in the address, a query parameter,
  a form field or a JSON body is refused with 400 (PostgreSQL cannot store either, so they would
  end as a 500 wherever they reached the database: a profile lookup, the rate limiter's own key,
  a search); other control characters are removed from query parameters; a body larger than
  `DATA_UPLOAD_MAX_MEMORY_SIZE` is refused with 413 before anything reads it. Cookies holding
  such characters are dropped.
- `ApiErrorsAsJson`: under `/api/`, error answers made outside the API's own handlers (405 from
  the router, 413 above, 400 for a bad Host) are JSON like the rest, and HEAD is answered like
  GET without a body.
- `PrivateInstance`: with DAILYPAPERS_PRIVATE, everything but signing in needs an account
  (docs/private.md).
- `SecureCookiesOverHttps`: cookies marked Secure when the request came over HTTPS.
- `ClientAddress`: behind reverse proxies (DAILYPAPERS_TRUSTED_PROXIES), the client's address
  and scheme come from their `X-Forwarded-For` and `X-Forwarded-Proto`; from anyone else those
  headers are ignored.
- `RequestMetrics`: every answer counted for `/metrics` by route, method and status class, with
  its latency (`web/metrics.py`).
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control

from dailypapers.api.models import ApiToken
from dailypapers.papers.text import CONTROLS
from dailypapers.web import metrics

UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
NOT_ALLOWED = "holds a NUL byte or an invalid character (a lone surrogate)"
API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """An error answer in the request's language: JSON under /api/, the site's page elsewhere."""
    if is_api(request):
        return JsonResponse({"error": message}, status=status)
    if not hasattr(request, "user"):
        request.user = AnonymousUser()  # refused before the authentication middleware ran
    headings = {404: "Not found", 413: "Too large", 429: "Slow down"}
    heading = headings.get(status, "That did not work")
    context = {"message": message, "heading": heading}
    return render(request, "papers/error.html", context, status=status)


def _unstorable(values: Any) -> bool:
    if isinstance(values, str):
        return bool(UNSTORABLE.search(values))
    if isinstance(values, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in values.items())
    if isinstance(values, list):
        return any(_unstorable(v) for v in values)
    return False


class RefuseUnstorableInput:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._check(request)
        if refused is not None:
            return refused
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        if UNSTORABLE.search(request.path):
            return error_response(request, f"The address {NOT_ALLOWED}.", 400)
        if any(_unstorable(k) or _unstorable(v) for k, v in request.GET.lists()):
            return error_response(request, f"A parameter {NOT_ALLOWED}.", 400)
        if any(CONTROLS.search(v) for values in request.GET.lists() for v in values[1]):
            # Immutable (`_mutable = False`) as Django's own, which the stubs type apart.
            request.GET = self._without_controls(request.GET)  # type: ignore[assignment]
        for name in [n for n, v in request.COOKIES.items() if UNSTORABLE.search(n + v)]:
            del request.COOKIES[name]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, "The Content-Length header is not a number.", 400)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return error_response(request, f"The body is too large (at most {limit:,} bytes).", 413)
        if request.method not in ("POST", "PUT", "PATCH") or not length:
            return None
        content_type = request.content_type or ""
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if any(_unstorable(k) or _unstorable(v) for k, v in request.POST.lists()):
                return error_response(request, f"A field {NOT_ALLOWED}.", 400)
        elif content_type == "application/json":
            try:
                body = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                return None  # the API's own validation says what is wrong
            if _unstorable(body):
                return error_response(request, f"The JSON body {NOT_ALLOWED}.", 400)
        return None

    @staticmethod
    def _without_controls(query: QueryDict) -> QueryDict:
        cleaned = QueryDict(mutable=True)
        for key, values in query.lists():
            cleaned.setlist(CONTROLS.sub(" ", key), [CONTROLS.sub(" ", v) for v in values])
        cleaned._mutable = False
        return cleaned


class ApiErrorsAsJson:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return self.get_response(request)
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        response = self.get_response(request)
        if response.status_code >= 400 and "json" not in response.get("Content-Type", ""):
            reason = response.reason_phrase or "Error"
            allow = response.get("Allow")
            response = JsonResponse({"error": reason}, status=response.status_code)
            if allow:
                response["Allow"] = allow
        if head:
            response.content = b""
        return response


class SecureCookiesOverHttps:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["secure"] = True
        return response


SSO_PROVIDERS = ("github", "google", "orcid", "openid_connect")


class PrivateInstance:
    """With DAILYPAPERS_PRIVATE, nothing the site holds is shown to anyone signed out.

    Open to all: signing in (single sign-on's start and callback too), signing up, confirming an
    address, resetting a password, the unsubscribe links of mails (RFC 8058 one-click posts come
    from mail providers, not people), static files, the health checks, robots.txt and /metrics
    (its own token), and the admin (its own sign-in). The API, feeds (RSS, Atom, JSON Feed),
    Markdown files, the OPML file and the MCP server also take a personal API token
    (`Authorization: Bearer`); feeds and the OPML file take it as `?token=` too, since feed
    readers cannot send headers. Anything else signed out: pages are sent to sign-in, the API
    and files get 401. Every answer is marked `Cache-Control: private` (nothing shared by a
    proxy) and `X-Robots-Tag: noindex`.
    """

    OPEN = {
        "healthz",
        "readyz",
        "robots",
        "metrics",
        *(
            f"community:{name}"
            for name in (
                *("signup", "resend", "confirm", "login", "logout", "password-reset"),
                *("password-reset-sent", "password-reset-confirm", "password-reset-done"),
            )
        ),
        "digests:unsubscribe",
        "people:notification-unsubscribe",
        # Single sign-on's start and callback (web/urls/sso.py), and no other allauth page.
        *(f"{provider}_{step}" for provider in SSO_PROVIDERS for step in ("login", "callback")),
    }
    BY_TOKEN = {"papers:paper-md", "people:following-opml", "mcp"}
    BY_QUERY_TOKEN = {"people:following-opml"}  # and every feed
    OPEN_PREFIXES = ("/admin/",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.PRIVATE:
            return self.get_response(request)
        response = self._guard(request) or self.get_response(request)
        patch_cache_control(response, private=True)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def _guard(self, request: HttpRequest) -> HttpResponse | None:
        """None to let the request through, or the answer to someone not signed in."""
        path = request.path_info
        if path.startswith((settings.STATIC_URL or "/static/", *self.OPEN_PREFIXES)):
            return None
        try:
            match = resolve(path)
            name, feed = match.view_name, isinstance(match.func, Feed)
        except Resolver404:
            name, feed = "", False
        if name in self.OPEN or request.user.is_authenticated:
            return None
        if is_api(request) or feed or name in self.BY_TOKEN:
            secret, in_query = self._bearer(request), False
            if not secret and (feed or name in self.BY_QUERY_TOKEN):
                secret, in_query = request.GET.get("token", ""), True
            user = ApiToken.user_for(secret) if secret else None
            if user is None:
                return self._refused(as_json=is_api(request) or name == "mcp")
            request.user = user
            if in_query:  # the OPML file carries it into the feeds' addresses
                request.feed_token = secret  # type: ignore[attr-defined]
            return None
        return redirect_to_login(request.get_full_path())

    @staticmethod
    def _bearer(request: HttpRequest) -> str:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        return secret.strip() if scheme.lower() == "bearer" else ""

    @staticmethod
    def _refused(as_json: bool) -> HttpResponse:
        message = "This site is private: sign in, or send a personal API token."
        response: HttpResponse
        if as_json:
            response = JsonResponse({"error": message}, status=401)
        else:
            response = HttpResponse(message + "\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="dailypapers"'
        return response


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a forwarded hop: `1.2.3.4`, `1.2.3.4:5678`, `[::1]:80` or `::1`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class ClientAddress:
    """`REMOTE_ADDR` becomes the client's address: the peer itself, or, when the peer is a
    trusted proxy, the rightmost `X-Forwarded-For` hop that is not a trusted proxy (hops to its
    left were written by the client and prove nothing). `X-Forwarded-Proto` (read by Django's
    SECURE_PROXY_SSL_HEADER) is kept only from a trusted proxy. The peer stays in
    `request.META["dailypapers.peer"]`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.trusted = settings.TRUSTED_PROXIES

    def _trusted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        if address is None:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.trusted)

    def client(self, peer: str, forwarded: str) -> str:
        if not self._trusted(_address(peer)):
            return peer
        client = peer
        for hop in reversed([hop for hop in forwarded.split(",") if hop.strip()]):
            address = _address(hop)
            if address is None:  # not an address: the hop to its right is as far as we know
                break
            client = str(address)
            if not self._trusted(address):
                break
        return client

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        meta["dailypapers.peer"] = peer
        if not self._trusted(_address(peer)):
            meta.pop("HTTP_X_FORWARDED_PROTO", None)
        meta["REMOTE_ADDR"] = self.client(peer, meta.get("HTTP_X_FORWARDED_FOR", ""))
        return self.get_response(request)


class RequestMetrics:
    """Outermost: counts every answer, those made by the middleware below it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.observe(request, response.status_code, time.perf_counter() - started)
        return response
