"""Scheduled jobs (huey): ingestion of the configured sources, GitHub stars, Hub links."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.core.http import make_client
from dailypapers.core.leases import leased_task
from dailypapers.ingest import github, hub
from dailypapers.ingest.harvest import run_due


@db_periodic_task(crontab(minute="*/10"))
@leased_task("ingest-due", seconds=300)
def ingest_due() -> dict[str, str]:
    """Every ten minutes, run the configured sources whose next run is due (see IngestState)."""
    with make_client() as client:
        return run_due(client)


@db_periodic_task(crontab(minute="41"))
@leased_task("github-stars", seconds=1800)
def refresh_github() -> str:
    """Hourly: stars and last push of the feed papers' GitHub repositories (each daily)."""
    with github.make_client() as client:
        return github.summary(github.refresh(client))


@db_periodic_task(crontab(minute="23"))
@leased_task("hub-links", seconds=1800)
def refresh_hub_links() -> str:
    """Hourly: the Hugging Face models, datasets and Spaces citing the feed papers that are due
    (daily while new, then weekly, then monthly), unless DAILYPAPERS_HUB_LINKS is off."""
    if not settings.HUB_LINKS:
        return "off (DAILYPAPERS_HUB_LINKS=false)"
    with hub.make_client() as client:
        return hub.summary(hub.refresh(client))
