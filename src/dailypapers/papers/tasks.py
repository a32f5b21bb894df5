"""Scheduled job (huey): the change log's retention."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.core.leases import leased_task
from dailypapers.papers import changes


@db_periodic_task(crontab(minute="17", hour="3"))
@leased_task("prune-changes", seconds=300)
def prune_changes() -> int:
    """Daily: forget changes older than the log's retention (a node further behind rebuilds)."""
    return changes.prune()
