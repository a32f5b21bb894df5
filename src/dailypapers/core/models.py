"""The base layer's one table: task leases (`core/leases.py`). It kept its first name
(`papers_tasklease`) when it moved here from the catalogue app."""

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
