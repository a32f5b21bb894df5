"""Keep the search indexes current (huey)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, lock_task
from huey.exceptions import TaskLockedException

from dailypapers.search import fulltext, semantic

log = logging.getLogger(__name__)
VECTOR_BUDGET_SECONDS = 40  # a run stops embedding after this; the next minute's run goes on


@db_periodic_task(crontab(minute="*"))
@lock_task("search-sync")
def sync_search_index() -> int:
    """Every minute: index the papers added or changed since the last sync."""
    return fulltext.sync()


@db_periodic_task(crontab(minute="*"))
def sync_vectors() -> int:
    """Every minute: embed papers without an up-to-date vector, for at most 40 s of work; then
    rebuild the HNSW index if enough vectors changed since it was built. A run that finds the
    previous one still working (serve asks for one at start, beside the minute's) leaves quietly.
    """
    if not semantic.enabled():
        return 0
    try:
        with HUEY.lock_task("vector-sync"):
            written = semantic.sync(budget_seconds=VECTOR_BUDGET_SECONDS)
            if semantic.ann_needs_rebuild():
                semantic.build_ann()
            return written
    except TaskLockedException:
        log.debug("vector sync: the previous run is still working")
        return 0
