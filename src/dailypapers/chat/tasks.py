"""Scheduled job (huey): plan and send the chat messages."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.chat.sending import run
from dailypapers.core.leases import leased_task


@db_periodic_task(crontab(minute="*/5"))
@leased_task("chat", seconds=300)
def send_chat() -> str:
    """Every 5 minutes: plan what each channel is due (the day's picks when the daily digest's
    day is there, the weekly summary, new notifications and collection additions), then send.

    What was planned has its row, so running often sends nothing twice; the lease keeps two runs
    apart (correctness does not depend on it: claims do)."""
    return str(run())
