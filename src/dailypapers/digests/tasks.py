"""Scheduled job (huey): plan and send the digests."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.core.leases import leased_task
from dailypapers.digests.sending import run


@db_periodic_task(crontab(minute="*/15"))
@leased_task("digests", seconds=300)
def send_digests() -> str:
    """Every 15 minutes: plan the current daily and weekly periods, send what is due.

    Periods already delivered have their rows, so running often sends nothing twice; the lease
    keeps two runs of this task apart (correctness does not depend on it: claims do)."""
    return str(run())
