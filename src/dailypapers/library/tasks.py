"""The worker keeps every reader's "For you" picks current (personal/foryou.py) and runs the
library imports too large for a page's request (personal/imports.py)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from dailypapers.core.leases import leased_task
from dailypapers.library import foryou, imports

log = logging.getLogger(__name__)

BUDGET_SECONDS = 60


@db_periodic_task(crontab(minute="*/2"))
@leased_task("for-you", seconds=BUDGET_SECONDS * 3)
def refresh_for_you() -> int:
    """Every two minutes: readers whose library changed, then readers with new papers to rank."""
    return foryou.refresh_due(budget_seconds=BUDGET_SECONDS)


@db_task()
def run_import(job_id: int) -> str:
    """One stored import, queued by the page that took the file."""
    return imports.run_job(job_id)


@db_periodic_task(crontab(minute="*"))
def run_waiting_imports() -> int:
    """Every minute: imports whose queued task was lost (the queue was down, a worker died
    while running one); each is claimed with a conditional update, so none runs twice."""
    ran = sum(imports.run_job(job_id) != "taken" for job_id in imports.due())
    imports.prune()
    return ran


def queue_import(job_id: int) -> None:
    """Ask the worker to run the import now; if the queue cannot be reached, the minute's
    `run_waiting_imports` runs it."""
    try:
        run_import(job_id)
    except Exception as exc:  # the queue's storage (SQLite file, Redis) is unreachable
        log.warning("import %s not queued (%s): the next sweep runs it", job_id, exc)
