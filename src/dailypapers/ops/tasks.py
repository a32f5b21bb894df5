"""Scheduled job (huey): the backups DAILYPAPERS_BACKUP_SCHEDULE asks for."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.core.leases import leased_task
from dailypapers.ops import scheduled


@db_periodic_task(crontab(minute="*/5"))
@leased_task("backup", seconds=600)
def take_backup() -> str:
    """Every 5 minutes: take a backup when one is due (`ops/scheduled.py`). A failure raises,
    so the run is recorded as failed and `dailypapers doctor` reports it; the next run tries
    again."""
    taken = scheduled.run()
    if taken is None:
        return "not due"
    return f"{taken.path.name}: {taken.bytes:,} bytes in {taken.seconds:.1f} s"
