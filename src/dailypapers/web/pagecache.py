"""A short-lived cache of the feed and paper pages as signed-out visitors see them.

Most traffic to a feed is visitors who are not signed in, and for them a listing is the same
page for everyone: it holds no CSRF token (their vote buttons are links to sign in, and the
subscribe form needs none for them) and no per-user state. Each web process keeps such pages for
DAILYPAPERS_PAGE_CACHE_SECONDS (10 by default; 0 turns it off) in Django's cache, so a vote shows
to signed-out visitors within that delay; signed-in users, and anyone with a session (a pending
message, say), always get a fresh page. A private instance (DAILYPAPERS_PRIVATE) keeps nothing:
its pages are `Cache-Control: private`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers


def cached_for_visitors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        seconds = settings.PAGE_CACHE_SECONDS
        if (
            not seconds
            or settings.PRIVATE  # no page of a private instance is anyone else's
            or request.method != "GET"
            or settings.SESSION_COOKIE_NAME in request.COOKIES  # maybe signed in, or a message
        ):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        variant = f"{request.get_full_path()}|{request.headers.get('HX-Request', '')}"
        key = "page:" + hashlib.blake2b(variant.encode(), digest_size=16).hexdigest()
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return _shareable(HttpResponse(content, content_type=content_type), seconds)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, (response.content, response["Content-Type"]), seconds)
            _shareable(response, seconds)
        return response

    return wrapper


def _shareable(response: HttpResponse, seconds: int) -> HttpResponse:
    """What a proxy or CDN may keep as long as this process does: the page is everyone's until a
    session cookie says otherwise."""
    patch_cache_control(response, public=True, max_age=seconds)
    patch_vary_headers(response, ("Cookie", "HX-Request"))
    return response
