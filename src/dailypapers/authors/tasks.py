"""The worker keeps the author index current (authors/index.py)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.authors import index
from dailypapers.core.leases import leased_task

BUDGET_SECONDS = 40


@db_periodic_task(crontab(minute="*"))
@leased_task("author-index", seconds=BUDGET_SECONDS * 3)
def catch_up_author_index() -> int:
    """Every minute: apply the change log to the author index (at most 40 s of work a run)."""
    return index.catch_up(budget_seconds=BUDGET_SECONDS)
