"""A short-lived cache of the feed pages as signed-out visitors see them.

Most traffic to a feed is visitors who are not signed in, and for them a listing is the same
page for everyone: it holds no CSRF token (their vote buttons are links to sign in, and the
subscribe form needs none for them) and no per-user state. Each web process keeps such pages for
DAILYPAPERS_PAGE_CACHE_SECONDS (10 by default; 0 turns it off) in Django's cache, so a vote shows
to signed-out visitors within that delay; signed-in users, and anyone with a session (a pending
message, say), always get a fresh page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse


def cached_for_visitors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        seconds = settings.PAGE_CACHE_SECONDS
        if (
            not seconds
            or request.method != "GET"
            or settings.SESSION_COOKIE_NAME in request.COOKIES  # maybe signed in, or a message
        ):
            return view(request, *args, **kwargs)
        variant = f"{request.get_full_path()}|{request.headers.get('HX-Request', '')}"
        key = "page:" + hashlib.blake2b(variant.encode(), digest_size=16).hexdigest()
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, (response.content, response["Content-Type"]), seconds)
        return response

    return wrapper
