"""Keep the search index current (huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from dailypapers.search import fulltext


@db_periodic_task(crontab(minute="*"))
@lock_task("search-sync")
def sync_search_index() -> int:
    """Every minute: index the papers added or changed since the last sync."""
    return fulltext.sync()
