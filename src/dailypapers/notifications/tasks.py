"""The worker mails notifications (notifications/mail.py)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from dailypapers.core.leases import leased_task
from dailypapers.notifications import mail


@db_periodic_task(crontab(minute="*/5"))
@leased_task("notification-mail", seconds=600)
def send_notification_mail() -> int:
    """Every five minutes: one email per user with their new notifications."""
    return mail.send_due()
