"""A stop request that long jobs look at between small steps.

The worker's consumer (huey) sets its stop flag on SIGINT or SIGTERM, then waits for the running
tasks. A task that embeds papers for up to 40 s would hold the stop up that long: instead it asks
`requested()` between batches of about a second and returns, its finished batches written; what
it left is still stale and the next run goes on (`search/semantic.py`).
"""

from __future__ import annotations

import threading

_own = threading.Event()
_watched: list[threading.Event] = [_own]


def watch(flag: threading.Event) -> None:
    """Treat `flag` (the consumer's stop flag) as a stop request."""
    _watched.append(flag)


def request() -> None:
    _own.set()


def requested() -> bool:
    return any(flag.is_set() for flag in _watched)


def reset() -> None:
    """Forget every request and watched flag (tests; a consumer that restarts in-process)."""
    _own.clear()
    del _watched[1:]
