"""Every route of the site and the API, walked from the URL resolver and the OpenAPI document,
so that a test over "every route" covers the ones added after it was written."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from dailypapers.api.routes import api

# The routes that change nothing: POST to them is no write (most answer 405 or the GET page).
READS = {
    "healthz",
    "readyz",
    "metrics",
    "robots",
    "sitemap-index",
    "django.contrib.sitemaps.views.sitemap",
    "community:password-reset-sent",
    "community:password-reset-done",
    "community:profile",
    "search:search",
    "search:export-bib",
    "search:export-ris",
    "content:file",
    "personal:for-you",
    "personal:collections",
    "personal:bibtex",
    "personal:ris",
    "personal:rss",
    "personal:atom",
    "personal:json",
    "personal:collection-short",
    "personal:collection",
    "people:following",
    "people:notifications",
    "people:notification-badge",
    "people:author-rss",
    "people:author-atom",
    "people:author-json",
    "people:following-opml",
    "people:author",
    "people:organization",
    *(
        f"papers:{name}"
        for name in [
            *("home", "jump", "day", "latest-week", "latest-month", "week", "month"),
            *("trending", "arxiv", "arxiv-day", "paper-md", "paper-bib", "paper-ris"),
            *("thumbnail", "similar", "paper", "feed-daily", "feed-daily-atom"),
            *("feed-trending", "feed-trending-atom", "feed-category", "feed-category-atom"),
            *("feed-arxiv", "feed-arxiv-atom", "feed-search", "feed-search-atom"),
            *("feed-daily-json", "feed-trending-json", "feed-category-json"),
            *("feed-arxiv-json", "feed-search-json"),
        ]
    ),
    "papers",
    "mcp",  # POSTs of tool calls that only read: counted per call (the `mcp` scope)
}
# Writes left without a limit, and why (docs/community.md says so too).
UNLIMITED = {
    "community:logout": "it ends only the caller's own session; refusing it would leave someone "
    "signed in on a shared computer",
    **{
        f"{provider}_callback": "single sign-on's callback, the provider's redirect back: it only "
        "completes a sign-in whose start was counted (`login`, per address), the state it carries "
        "must match the one in the browser's session"
        for provider in ("github", "google", "orcid", "openid_connect")
    },
}
# Forms used before signing in: counted per address (sign-in also per address and user name).
PER_ADDRESS_ONLY = {
    "community:login",
    "community:resend",
    "community:password-reset",
    # Single sign-on's start (the `login` scope): signing in, so counted per address.
    *(f"{p}_login" for p in ("github", "google", "orcid", "openid_connect")),
}

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route itself when it has no name
    route: str  # "collections/<id:pk>/edit"

    def converters(self) -> list[tuple[str, str]]:
        """(converter, parameter) of each part of the path, in order."""
        return [(conv or "str", param) for conv, param in CONVERTER.findall(self.route)]

    def url(self, value: Callable[[str, str], str]) -> str:
        """The address with each part given by `value(converter, parameter)`."""
        return "/" + CONVERTER.sub(lambda m: value(m[1] or "str", m[2]), self.route)


def web_routes() -> Iterator[Route]:
    """Every route of the site's pages: the admin's and the API's (walked apart) left out."""

    def walk(patterns: list, prefix: str, namespace: str) -> Iterator[Route]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(("admin/", "api/", "^api/")):
                continue
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                yield from walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield Route(name if pattern.name else route, route)

    seen = set()
    for found in walk(get_resolver().url_patterns, "", ""):
        if found.route not in seen:
            seen.add(found.route)
            yield found


@dataclass(frozen=True)
class Operation:
    method: str  # "post"
    path: str  # "/api/collections/{collection_id}/papers"
    parameters: tuple[tuple[str, str], ...]  # (where, name): ("path", "collection_id")
    body: dict | None  # the JSON schema of the body, its references resolved

    def url(self, value: Callable[[str], str], query: dict[str, str] | None = None) -> str:
        url = re.sub(r"\{(\w+)\}", lambda m: value(m[1]), self.path)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return url


def api_operations() -> list[Operation]:
    schema = api.get_openapi_schema(path_prefix="/api/")
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            body = None
            content = spec.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = content["application/json"]["schema"]
                ref = body.get("$ref", "")
                if ref:
                    body = components[ref.rsplit("/", 1)[1]]
            parameters = tuple((p["in"], p["name"]) for p in spec.get("parameters", []))
            found.append(Operation(method, path, parameters, body))
    return found


def example_body(schema: dict | None, text: str = "2605.00001") -> dict:
    """A body the schema accepts: each required property with a plain value of its type."""
    if not schema:
        return {}
    plain = {"string": text, "boolean": True, "integer": 1, "number": 1}
    properties = schema.get("properties", {})
    return {
        name: plain.get(properties[name].get("type", "string"), text)
        for name in schema.get("required", [])
    }
