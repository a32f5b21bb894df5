"""Claiming an outbox's due rows: what the email digests and the team chat share.

An outbox row (a digest's `Delivery`, a chat message's `ChatDelivery`) is written before its
message is sent, with `status`, `next_attempt_at`, `claimed_at` and `claimed_by`. A worker takes
a due row (pending and due, or sending under a lease that ran out: its worker died) by a
conditional UPDATE on the values it read, so two workers never both take one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q


def claim_due(
    model: Any, worker: str, now: dt.datetime, lease: dt.timedelta, *, limit: int, related: str
) -> list[Any]:
    """Take up to `limit` due rows of `model` for this worker (with `related` selected); each
    is taken by one worker only."""
    due = Q(status=model.PENDING, next_attempt_at__lte=now) | Q(
        status=model.SENDING, claimed_at__lt=now - lease
    )
    rows = model.objects
    claimed = []
    for candidate in rows.filter(due).order_by("id").values("pk", "status", "claimed_at")[:limit]:
        won = rows.filter(
            pk=candidate["pk"], status=candidate["status"], claimed_at=candidate["claimed_at"]
        ).update(status=model.SENDING, claimed_at=now, claimed_by=worker)
        if won:
            claimed.append(candidate["pk"])
    return list(rows.filter(pk__in=claimed).select_related(related).order_by("id"))
