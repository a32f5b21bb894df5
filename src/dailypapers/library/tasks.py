"""The worker keeps every reader's "For you" picks current (personal/foryou.py)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.core.leases import leased_task
from dailypapers.library import foryou

BUDGET_SECONDS = 60


@db_periodic_task(crontab(minute="*/2"))
@leased_task("for-you", seconds=BUDGET_SECONDS * 3)
def refresh_for_you() -> int:
    """Every two minutes: readers whose library changed, then readers with new papers to rank."""
    return foryou.refresh_due(budget_seconds=BUDGET_SECONDS)
