"""Scheduled jobs (huey): ingestion of the configured sources, the change log's retention."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.leases import leased_task
from dailypapers.papers import changes
from dailypapers.papers.sources.harvest import make_client, run_due


@db_periodic_task(crontab(minute="*/10"))
@leased_task("ingest-due", seconds=300)
def ingest_due() -> dict[str, str]:
    """Every ten minutes, run the configured sources whose next run is due (see IngestState)."""
    with make_client() as client:
        return run_due(client)


@db_periodic_task(crontab(minute="17", hour="3"))
@leased_task("prune-changes", seconds=300)
def prune_changes() -> int:
    """Daily: forget changes older than the log's retention (a node further behind rebuilds)."""
    return changes.prune()


@db_periodic_task(crontab(minute="41"))
@leased_task("github-stars", seconds=1800)
def refresh_github() -> str:
    """Hourly: stars and last push of the feed papers' GitHub repositories (each daily)."""
    from dailypapers.papers.sources import github

    with github.make_client() as client:
        return github.summary(github.refresh(client))
