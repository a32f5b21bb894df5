"""The last run of each job, as the worker saw it: started, finished, succeeded, the error.

huey keeps no such record (a periodic task is enqueued, run, forgotten). The worker connects
`record` to huey's signals (`dailypapers worker`), so every task is covered, leased or not,
and `dailypapers doctor` can tell a task that stopped running (no worker, a worker stuck) from
one that runs and fails. Each finished run is also counted for `/metrics`
(`dailypapers_task_runs_total` by task and outcome).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import DatabaseError
from django.utils import timezone
from huey import signals
from prometheus_client import Counter

from dailypapers.core.models import TaskRun

log = logging.getLogger(__name__)
RUNS = Counter(
    "dailypapers_task_runs",
    "Finished runs of the worker's tasks, by task and outcome (ok, error, interrupted).",
    ["task", "outcome"],
)

OUTCOMES = {
    signals.SIGNAL_EXECUTING: "running",
    signals.SIGNAL_COMPLETE: "ok",
    signals.SIGNAL_ERROR: "error",
    signals.SIGNAL_INTERRUPTED: "interrupted",
}


def task_name(task: Any) -> str:
    """A task's name as huey registers it (`dailypapers.search.tasks.sync_vectors`)."""
    return f"{type(task).__module__}.{task.name}"


def write(name: str, outcome: str, error: str = "", now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    fields: dict[str, Any] = {"outcome": outcome}
    if outcome == "running":
        fields["started_at"] = now
    else:
        fields.update(finished_at=now, error=error[:2000])
        if outcome == "ok":
            fields["succeeded_at"] = now
    TaskRun.objects.update_or_create(name=name, defaults=fields)


def record(signal: str, task: Any, exc: BaseException | None = None) -> None:
    """huey's signal handler (`HUEY.signal(*OUTCOMES)(record)`); never fails the task."""
    outcome = OUTCOMES.get(signal)
    if outcome is None:
        return
    error = f"{type(exc).__name__}: {exc}" if exc is not None else ""
    if outcome != "running":
        RUNS.labels(task_name(task), outcome).inc()
    try:
        write(task_name(task), outcome, error)
    except DatabaseError as exc:  # the run itself is what matters
        log.warning("could not record the %s run of %s: %s", outcome, task.name, exc)


def connect(huey: Any) -> None:
    huey.signal(*OUTCOMES)(record)
