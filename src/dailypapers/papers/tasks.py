"""Scheduled jobs (huey): ingestion of the configured sources."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from dailypapers.papers.sources.harvest import make_client, run_due


@db_periodic_task(crontab(minute="*/10"))
@lock_task("ingest-due")
def ingest_due() -> dict[str, str]:
    """Every ten minutes, run the configured sources whose next run is due (see IngestState)."""
    with make_client() as client:
        return run_due(client)
