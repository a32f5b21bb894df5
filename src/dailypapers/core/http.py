"""A polite HTTP client for arXiv: one request at a time, spaced, retried as the server asks.

- At most one request in flight per machine, at least `delay` seconds apart (never under 3 s
  against an arxiv.org host, per arXiv's terms of use). The spacing is kept in a lock file in the
  data directory, so separate processes (the worker and a CLI run) share it.
- Timeouts on connect and read.
- Retries on network errors (connection reset, timeouts), 429 and 5xx, with exponential backoff and
  full jitter; a `Retry-After` header (seconds or an HTTP date) is honoured, capped at an hour, and
  so is the reset time of a 429's `RateLimit` header (the IETF draft the Hugging Face Hub sends).
"""

from __future__ import annotations

import email.utils
import fcntl
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings

from dailypapers import __version__

log = logging.getLogger(__name__)

ARXIV_MIN_DELAY = 3.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 3600.0
USER_AGENT = f"dailypapers/{__version__} (self-hosted research-paper feed)"


class FetchError(Exception):
    """A request failed for good (retries exhausted, or an error that retrying cannot fix)."""


class HTTPStatusError(FetchError):
    """The server answered with a status that retrying cannot change (404, 403...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - now, 0.0), MAX_RETRY_AFTER)


def ratelimit_reset_seconds(value: str | None) -> float | None:
    """Seconds until the quota resets from a `RateLimit` header of the IETF draft
    (`"api";r=0;t=55`, as the Hugging Face Hub answers a 429 instead of a Retry-After)."""
    match = re.search(r";\s*t=(\d+)", value or "")
    return min(float(match[1]), MAX_RETRY_AFTER) if match else None


def is_arxiv_host(url: str) -> bool:
    host = httpx.URL(url).host
    return host == "arxiv.org" or host.endswith(".arxiv.org")


@dataclass
class PoliteClient:
    delay: float = ARXIV_MIN_DELAY
    retries: int = 5
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    # The longest wait before a retry, Retry-After included; a server asking for more is given
    # up on at once (someone waiting for a page should hear "try later", not wait an hour).
    max_wait: float = 3600.0
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(10.0, read=60.0))
    lock_path: Path | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    transport: httpx.BaseTransport | None = None
    # The level of the "retrying in ..." lines (a caller that logs its own summary lowers it).
    retry_log_level: int = logging.WARNING
    _last_request: float = 0.0

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            timeout=self.timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            transport=self.transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        ok_statuses: frozenset[int] = frozenset(),
        *,
        stream: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET with pacing and retries; returns a 2xx response (or one of `ok_statuses`, whose
        body the caller reads: arXiv explains a refused request in it) or raises FetchError.

        With `stream`, the body of the response returned is not read yet: the caller reads it
        (capping its size) and closes it."""
        delay = max(self.delay, ARXIV_MIN_DELAY) if is_arxiv_host(url) else self.delay
        attempt = 0

        def send() -> httpx.Response:
            request = self._client.build_request("GET", url, params=params, headers=headers)
            return self._client.send(request, stream=stream)

        while True:
            attempt += 1
            try:
                response = self._paced(delay, send)
            except httpx.TransportError as exc:  # connection reset or refused, timeouts
                problem, wait = f"{type(exc).__name__}: {exc}", None
            else:
                if response.is_success or response.status_code in ok_statuses:
                    return response
                if stream:
                    try:
                        response.read()  # an error page, to quote it
                    except httpx.HTTPError:
                        pass
                    finally:
                        response.close()
                if response.status_code not in RETRY_STATUSES:
                    raise HTTPStatusError(
                        response.status_code,
                        f"{response.request.url} answered {response.status_code}: "
                        f"{response.text[:200].strip()}",
                    )
                problem = f"HTTP {response.status_code}"
                wait = retry_after_seconds(response.headers.get("Retry-After"), self.clock())
                if wait is None and response.status_code == 429:
                    wait = ratelimit_reset_seconds(response.headers.get("RateLimit"))
            if attempt > self.retries:
                raise FetchError(f"{url}: {problem}, gave up after {attempt} attempts")
            if wait is not None and wait > self.max_wait:
                raise FetchError(f"{url}: {problem}, asked to wait {wait:.0f}s; gave up")
            if wait is None:
                ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
                wait = random.uniform(ceiling / 2, ceiling)
            log.log(
                self.retry_log_level,
                "%s: %s; retrying in %.1fs (attempt %d)",
                url,
                problem,
                wait,
                attempt,
            )
            self.sleep(wait)

    def _paced(self, delay: float, send: Callable[[], httpx.Response]) -> httpx.Response:
        """Send while holding the machine-wide lock, at least `delay` after the previous request."""
        if self.lock_path is None:
            return self._send_after(delay, self._last_request, send, self._remember)
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                lock.seek(0)
                text = lock.read().strip()
                last = float(text) if text else 0.0

                def remember(when: float) -> None:
                    self._remember(when)
                    lock.seek(0)
                    lock.truncate()
                    lock.write(repr(when))
                    lock.flush()

                return self._send_after(delay, max(last, self._last_request), send, remember)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _send_after(
        self,
        delay: float,
        last: float,
        send: Callable[[], httpx.Response],
        remember: Callable[[float], None],
    ) -> httpx.Response:
        wait = last + delay - self.clock()
        if wait > 0:
            self.sleep(wait)
        try:
            return send()
        finally:
            remember(self.clock())

    def _remember(self, when: float) -> None:
        self._last_request = when


def make_client(**overrides: Any) -> PoliteClient:
    """The client for arXiv: every arXiv request of this machine (metadata and PDFs) waits its
    turn through one lock file, `ARXIV_DELAY` apart."""
    options: dict[str, Any] = {
        "delay": settings.ARXIV_DELAY,
        "lock_path": Path(settings.DATA_DIR) / "arxiv-requests.lock",
    }
    options.update(overrides)
    return PoliteClient(**options)
