"""Rate limits: fixed-window counters in the database, shared by every process and machine.

django-ratelimit needs memcached or Redis for atomic counts; the default install has neither, so
the count is one atomic `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` (SQLite 3.35+, PostgreSQL).
Limits are declared in settings.RATE_LIMITS as {scope: (count, seconds)}.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest

from dailypapers.community.models import RateLimit


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    limit: int
    retry_after: int


class RateLimited(Exception):
    def __init__(self, scope: str, verdict: Verdict) -> None:
        self.scope = scope
        self.verdict = verdict
        wait = verdict.retry_after
        when = f"{wait} seconds" if wait < 120 else f"{math.ceil(wait / 60)} minutes"
        super().__init__(f"Too many {SCOPE_WORDS.get(scope, scope)}. Try again in {when}.")


SCOPE_WORDS = {
    "login": "sign-in attempts",
    "signup": "sign-ups from your network",
    "vote": "votes",
    "comment": "comments",
    "submit": "submissions",
    "password-reset": "password reset requests",
    "subscribe": "subscription requests",
    "reaction": "reactions",
    "collection": "changes to collections",
    "collection-import": "imports into collections",
    "claim": "claims and memberships",
    "follow": "follows",
    "token": "changes to API tokens",
    "settings": "changes to your settings",
    "digest": "changes to digest subscriptions",
    "unsubscribe": "unsubscribe requests from your network",
    "moderate": "moderation actions",
    "mcp": "MCP tool calls",
    "chat": "changes to chat channels and test messages",
}


def hit(key: str, limit: int, window: int, now: float | None = None) -> Verdict:
    """Count one event for `key`; allowed while the window's count stays within `limit`."""
    now = time.time() if now is None else now
    start = int(now) - int(now) % window
    q = connection.ops.quote_name
    table, key_, start_, count_ = (
        q(n) for n in (RateLimit._meta.db_table, "key", "window_start", "count")
    )
    sql = (
        f"INSERT INTO {table} ({key_}, {start_}, {count_}) VALUES (%s, %s, 1) "
        f"ON CONFLICT ({key_}) DO UPDATE SET "
        f"{count_} = CASE WHEN {table}.{start_} = EXCLUDED.{start_} "
        f"THEN {table}.{count_} + 1 ELSE 1 END, {start_} = EXCLUDED.{start_} "
        f"RETURNING {count_}"
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, [key[:200], start])
        count = cursor.fetchone()[0]
    return Verdict(count <= limit, count, limit, max(1, start + window - int(now)))


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def check(request: HttpRequest, scope: str, *, per_user: bool = True, extra: str = "") -> None:
    """Count this request against the scope's limits per address and per user; raise RateLimited.

    `extra` adds a key of the address and that value (the username typed at sign-in), so that
    guessing one person's password is limited per address without letting anyone else lock
    that person out.
    """
    count, window = settings.RATE_LIMITS[scope]
    address = client_ip(request)
    keys = [f"{scope}:ip:{address}"]
    user = getattr(request, "user", None)
    if per_user and user is not None and user.is_authenticated:
        keys.append(f"{scope}:user:{user.pk}")
    if extra:
        keys.append(f"{scope}:x:{address}:{extra.lower()}")
    with transaction.atomic(savepoint=False):  # one write transaction for every key
        verdicts = [hit(k, count, window) for k in keys]
    refused = [v for v in verdicts if not v.allowed]
    if refused:
        raise RateLimited(scope, max(refused, key=lambda v: v.retry_after))


def recipient_allowed(address: str) -> bool:
    """Count one mail to `address` against the `mail-to` limit: whoever asks for mails (sign-up
    confirmations, password resets, digest confirmations), one address gets only so many."""
    count, window = settings.RATE_LIMITS["mail-to"]
    with transaction.atomic(savepoint=False):
        return hit(f"mail-to:{address.strip().lower()}", count, window).allowed
