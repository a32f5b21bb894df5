"""Keep the search data current (huey): vectors are embedded once, here, for every machine."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.core.leases import leased_task
from dailypapers.search import fulltext, indexer, semantic

log = logging.getLogger(__name__)
VECTOR_BUDGET_SECONDS = 40  # a run stops embedding after this; the next minute's run goes on


@db_periodic_task(crontab(minute="*"))
def catch_up_search_index() -> int:
    """Every minute, if this machine has a full-text index (the worker beside `serve`), apply
    the change log to it; `index follow` does it every second, this is the backstop."""
    if not fulltext.index_dir().exists():
        return 0
    return indexer.catch_up(graph=False)


@db_periodic_task(crontab(minute="*"))
@leased_task("vector-sync", seconds=VECTOR_BUDGET_SECONDS * 3)
def sync_vectors() -> int:
    """Every minute: embed papers without an up-to-date vector, for at most 40 s of work. A run
    that finds the previous one still working (serve asks for one at start, beside the
    minute's) leaves quietly. Each machine's follower builds its own graph of the vectors."""
    if not semantic.enabled():
        return 0
    return semantic.sync(budget_seconds=VECTOR_BUDGET_SECONDS)
