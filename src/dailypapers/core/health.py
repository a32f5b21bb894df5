"""The checks an operator's tools share: the database and the job queue answer.

`/readyz` (web) and `dailypapers doctor` (ops) ask the same questions; both are surfaces, so
the answers live here, below them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import DatabaseError, connection
from huey.contrib.djhuey import HUEY


@dataclass
class Probe:
    ok: bool
    detail: str  # "3.2 ms", "12 tasks waiting", or the first line of the error
    value: float | None = None  # the database's answer time in ms; the tasks waiting


def database() -> Probe:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return Probe(False, (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200])
    ms = round((time.perf_counter() - started) * 1000, 1)
    return Probe(True, f"{ms:.1f} ms", ms)


def queue() -> Probe:
    try:
        pending = HUEY.pending_count()
    except Exception as exc:  # redis.ConnectionError, sqlite3.OperationalError, ...
        return Probe(False, str(exc)[:200] or type(exc).__name__)
    return Probe(True, f"{pending} task{'s' if pending != 1 else ''} waiting", pending)
