"""Read replicas (DATABASE_REPLICA_URLS): reads go to a replica, writes to the primary.

A replica lags the primary by a moment, so a visitor who just wrote (voted, commented,
submitted) must not read from one and see their write missing: a request that writes, or whose
method is not GET/HEAD, is pinned to the primary for the rest of the request, and a short cookie
pins that visitor's next requests (the redirect after a form, the page reloaded) for
READ_YOUR_WRITES_SECONDS.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

READ_YOUR_WRITES_SECONDS = 10
COOKIE = "dp_primary"
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


def replicas() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        if _pinned.get():
            return "default"
        return random.choice(replicas()) if replicas() else "default"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        _pinned.set(True)  # read what was written from where it was written
        return "default"

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True  # the replicas hold the same data

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"


class ReadYourWrites:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pinned = request.method not in ("GET", "HEAD") or COOKIE in request.COOKIES
        token = _pinned.set(pinned)
        try:
            response = self.get_response(request)
            if _pinned.get() and COOKIE not in request.COOKIES:
                response.set_cookie(
                    COOKIE, "1", max_age=READ_YOUR_WRITES_SECONDS, httponly=True, samesite="Lax"
                )
            return response
        finally:
            _pinned.reset(token)
