"""Task locks that cannot stick: a lease in the database with an expiry.

huey's `lock_task` is a key without expiry in the queue's storage: a worker that died holding it,
or could not delete it (a full disk under the SQLite queue), refused that task until the worker
restarted. A lease is a row (`TaskLease`) taken with a conditional write, renewed by long work,
renewed by a heartbeat while the work runs, released at the end; if the release fails, the
lease runs out by itself, and a worker starting on a machine releases the leases that processes
of that machine held and that are gone (`release_dead`).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import ParamSpec, TypeVar

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from dailypapers.core.models import TaskLease

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


class Leased(Exception):
    """Another holder has the lease."""


class Lease:
    def __init__(self, name: str, seconds: float) -> None:
        self.name = name
        self.seconds = seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        now = timezone.now()
        until = now + timedelta(seconds=self.seconds)
        with transaction.atomic():
            taken = TaskLease.objects.filter(name=self.name, expires_at__lte=now).update(
                holder=self.holder, expires_at=until
            )
            if taken:
                return True
            try:
                with transaction.atomic():
                    TaskLease.objects.create(name=self.name, holder=self.holder, expires_at=until)
                return True
            except IntegrityError:
                return False

    def renew(self) -> bool:
        """Extend the lease by its length; False if it was lost (it expired and was taken)."""
        until = timezone.now() + timedelta(seconds=self.seconds)
        return bool(
            TaskLease.objects.filter(name=self.name, holder=self.holder).update(expires_at=until)
        )

    def release(self) -> None:
        try:
            TaskLease.objects.filter(name=self.name, holder=self.holder).delete()
        except DatabaseError as exc:  # e.g. a full disk: the lease runs out by itself
            log.warning(
                "could not release the %s lease (%s): it expires within %ss",
                self.name,
                exc,
                self.seconds,
            )


def _heartbeat(held: Lease, done: threading.Event) -> None:
    try:
        while not done.wait(held.seconds / 3):
            try:
                if not held.renew():
                    log.warning("the %s lease was lost (it expired and was taken)", held.name)
                    return
            except DatabaseError as exc:
                log.warning("could not renew the %s lease: %s", held.name, exc)
    finally:
        connection.close()  # this thread's own connection


@contextmanager
def lease(name: str, seconds: float) -> Iterator[Lease]:
    """Hold the named lease for the block, renewed every third of its length while the block
    runs; raises `Leased` if someone else holds it."""
    held = Lease(name, seconds)
    if not held.acquire():
        raise Leased(name)
    done = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(held, done), daemon=True)
    beat.start()
    try:
        yield held
    finally:
        done.set()
        beat.join()
        held.release()


def release_dead() -> int:
    """Release the leases held by processes of this machine that no longer run (a worker
    killed mid-task); returns how many. Leases of other machines are left to expire."""
    host = socket.gethostname()
    released = 0
    for name, holder in TaskLease.objects.values_list("name", "holder"):
        parts = holder.split(":")
        if len(parts) < 3 or ":".join(parts[:-2]) != host:
            continue
        try:
            os.kill(int(parts[-2]), 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except (PermissionError, ValueError):
            continue
        released += TaskLease.objects.filter(name=name, holder=holder).delete()[0]
    if released:
        log.warning("released %d stale leases of processes that are gone", released)
    return released


def leased_task(name: str, seconds: float) -> Callable[[Callable[P, R]], Callable[P, R | None]]:
    """A task body that runs under a lease; a run that finds it held leaves quietly."""

    def decorate(function: Callable[P, R]) -> Callable[P, R | None]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
            try:
                with lease(name, seconds):
                    return function(*args, **kwargs)
            except Leased:
                log.info("%s: another run holds the lease; skipped", name)
                return None

        return wrapper

    return decorate
