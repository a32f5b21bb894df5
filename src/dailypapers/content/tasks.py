"""The worker's content job (huey): fetch the PDFs the site wants, a few minutes at a time."""

from __future__ import annotations

import time
from collections.abc import Iterator

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.content import services as service
from dailypapers.core.http import make_client
from dailypapers.core.leases import leased_task
from dailypapers.papers.models import Paper

BUDGET_SECONDS = 240  # a run stops after this; the next one (5 minutes later) goes on


@db_periodic_task(crontab(minute="*/5"))
@leased_task("content-fetch", seconds=BUDGET_SECONDS * 2)
def fetch_content() -> dict[str, int]:
    """Every five minutes: fetch and process the PDFs due (DAILYPAPERS_CONTENT), newest first,
    one request at a time and >= 3 s apart (the same lock as every arXiv request)."""
    started = time.monotonic()

    def papers() -> Iterator[Paper]:
        for paper in service.due().iterator(chunk_size=50):
            if time.monotonic() - started > BUDGET_SECONDS:
                return
            yield paper

    with make_client() as client:
        return dict(service.run(papers(), client))
