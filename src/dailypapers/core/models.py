"""The base layer's tables: task leases (`core/leases.py`; it kept its first name,
`papers_tasklease`, when it moved here from the catalogue app) and the last run of each job
(`core/runs.py`)."""

from __future__ import annotations

from django.db import models


class TaskLease(models.Model):
    """A lock on a scheduled task that expires by itself: a worker that dies, or cannot
    release it (a full disk), holds the task back for at most its lease (`leases.py`)."""

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "papers_tasklease"

    def __str__(self) -> str:
        return f"{self.name} (held by {self.holder} until {self.expires_at:%Y-%m-%d %H:%M:%S})"


class TaskRun(models.Model):
    """The last run of each job the worker ran, written by the worker (`core/runs.py`):
    `dailypapers doctor` compares it with the task's schedule."""

    name = models.CharField(max_length=200, primary_key=True)  # huey's task name
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    succeeded_at = models.DateTimeField(null=True)  # the last run that ended without an error
    outcome = models.CharField(max_length=20, default="")  # running, ok, error, interrupted
    error = models.TextField(default="", blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.outcome or 'never'}"
