"""Keep the search indexes current (huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from dailypapers.search import fulltext, semantic

VECTOR_BUDGET_SECONDS = 40  # a run stops embedding after this; the next minute's run goes on


@db_periodic_task(crontab(minute="*"))
@lock_task("search-sync")
def sync_search_index() -> int:
    """Every minute: index the papers added or changed since the last sync."""
    return fulltext.sync()


@db_periodic_task(crontab(minute="*"))
@lock_task("vector-sync")
def sync_vectors() -> int:
    """Every minute: embed papers without an up-to-date vector, for at most 40 s of work; then
    rebuild the HNSW index if enough vectors changed since it was built."""
    if not semantic.enabled():
        return 0
    written = semantic.sync(budget_seconds=VECTOR_BUDGET_SECONDS)
    if semantic.ann_needs_rebuild():
        semantic.build_ann()
    return written
