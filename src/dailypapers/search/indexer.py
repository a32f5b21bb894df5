"""This machine's search indexes, kept current from the change log.

Every node (a `serve` with or without the worker) runs `dailypapers index follow`, which applies
the change log to the node's own full-text index and HNSW graph every second, and rebuilds them
when they are missing, unreadable, of an older schema, made from another database or behind the
log's retention. Embedding happens once, in the worker (`tasks.sync_vectors`); the follower only
builds this machine's graph of the vectors the database holds.

Changes made by this process (an import, an ingestion run, a submission) are applied at once
through `papers_changed` (`papers/changes.py`), so a command's papers are searchable when it
returns and a submitter finds their paper.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

from dailypapers.papers import changes
from dailypapers.search import fulltext, semantic

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
GRAPH_POLL_SECONDS = 30.0


def catch_up(*, graph: bool = True) -> int:
    """Apply the change log to this machine's indexes; returns how many papers were indexed."""
    indexed = fulltext.catch_up()
    if graph:
        build_graph_if_needed()
    return indexed


def build_graph_if_needed() -> int:
    """Build this machine's HNSW graph of the stored vectors when it is missing or too far
    behind (semantic.ann_needs_rebuild); returns its size, or 0 when nothing was built."""
    if not (semantic.enabled() and semantic.ann_needs_rebuild()):
        return 0
    started = time.monotonic()
    size = semantic.build_ann()
    if size:
        log.info(
            "built this machine's HNSW graph of %d vectors in %.0fs",
            size,
            time.monotonic() - started,
        )
    return size


def on_papers_changed(**kwargs: object) -> None:
    """This process changed papers: index them now (the graph waits for the worker's vectors).
    A machine without an index (a worker's) leaves the building to the nodes that search."""
    if not fulltext.index_dir().exists():
        return
    try:
        catch_up(graph=False)
    except Exception:  # the follower retries within a second: never fail the caller's work
        log.exception("applying the change log to the search index failed")


def follow(stop: threading.Event, poll: float = POLL_SECONDS) -> None:
    """Apply the change log until `stop` is set; an error is logged and retried (a full disk,
    a database restart), never fatal. The vector graph is built in a thread of its own: at
    millions of vectors that takes minutes, during which full text keeps following."""
    graph = threading.Thread(
        target=_repeat, args=(build_graph_if_needed, stop, GRAPH_POLL_SECONDS), daemon=True
    )
    graph.start()
    _repeat(lambda: fulltext.catch_up(), stop, poll)
    graph.join(timeout=5)


def _repeat(work: Callable[[], object], stop: threading.Event, every: float) -> None:
    failing = False
    while not stop.is_set():
        try:
            work()
            if failing:
                log.info("the search index follows the change log again")
            failing = False
        except Exception as exc:
            if not failing:
                log.exception("applying the change log failed (retrying every %ss): %s", every, exc)
            failing = True
        finally:
            close_old_connections()
        stop.wait(every)


@dataclass
class Lag:
    pending: int  # changes this node has not applied
    seconds: float  # age of the oldest of them (0 when none)
    rebuild: str  # why the index would be rebuilt ("" when it follows the log)


def lag() -> Lag:
    """How far this machine's full-text index is behind the database."""
    cursor = fulltext.cursor()
    reason = changes.unfollowable(cursor)
    if reason:
        return Lag(0, 0.0, reason)
    pending, oldest = changes.backlog(cursor, fulltext.KINDS)
    age = 0.0
    if oldest is not None:
        age = max(0.0, time.time() - oldest.timestamp())
    return Lag(pending, age, "")
