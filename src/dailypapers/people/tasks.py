"""The worker keeps the author index current (people/index.py)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.leases import leased_task
from dailypapers.people import index

BUDGET_SECONDS = 40


@db_periodic_task(crontab(minute="*"))
@leased_task("author-index", seconds=BUDGET_SECONDS * 3)
def catch_up_author_index() -> int:
    """Every minute: apply the change log to the author index (at most 40 s of work a run)."""
    return index.catch_up(budget_seconds=BUDGET_SECONDS)


@db_periodic_task(crontab(minute="*/5"))
@leased_task("notification-mail", seconds=600)
def send_notification_mail() -> int:
    """Every five minutes: one email per user with their new notifications (people/mail.py)."""
    from dailypapers.people import mail

    return mail.send_due()
