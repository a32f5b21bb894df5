"""Notifications by email: batched, per kind, with a one-click unsubscribe (RFC 8058).

Every few minutes the worker sends each user one message with the notifications that arrived
since the last one (at least `QUIET_MINUTES` old, so that a burst of replies is one email, and
not already read on the site), of the kinds they have not turned off, to their confirmed
address. A notification is marked sent after its message is handed to the mail server: a
crash in between sends it again rather than never.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError
from django.template.loader import render_to_string
from django.utils import timezone

from dailypapers.core.mail import DigestMessage, sender_domain
from dailypapers.notifications import notify
from dailypapers.notifications.models import Notification, NotificationSettings

log = logging.getLogger(__name__)
QUIET_MINUTES = 5
MAX_PER_MESSAGE = 30


def settings_for(user: User) -> NotificationSettings:
    found = NotificationSettings.objects.filter(user=user).first()
    if found is not None:
        return found
    try:
        return NotificationSettings.objects.create(user=user, token=secrets.token_urlsafe(32))
    except IntegrityError:
        return NotificationSettings.objects.get(user=user)


def unsubscribe_url(prefs: NotificationSettings) -> str:
    return f"{settings.SITE_URL}/notifications/unsubscribe/{prefs.token}"


def _message(user: User, notes: list[Notification], prefs: NotificationSettings) -> DigestMessage:
    items = [
        (notify.describe(n), f"{settings.SITE_URL}{n.paper.get_absolute_url()}") for n in notes
    ]
    context = {
        "user": user,
        "items": items,
        "unsubscribe": unsubscribe_url(prefs),
        "settings_url": f"{settings.SITE_URL}/notifications",
    }
    text = render_to_string("people/email/notifications.txt", context)
    subject, _, body = text.partition("\n")
    url = unsubscribe_url(prefs)
    message = DigestMessage(
        subject.strip(),
        body.lstrip(),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"Daily Papers notifications <notifications.{sender_domain()}>",
        },
    )
    message.attach_alternative(
        render_to_string("people/email/notifications.html", context), "text/html"
    )
    return message


def send_due(now: dt.datetime | None = None) -> int:
    """Send the batched notification emails that are due; returns how many messages."""
    now = now or timezone.now()
    due = Notification.objects.filter(
        emailed_at__isnull=True,
        read_at__isnull=True,
        created_at__lte=now - dt.timedelta(minutes=QUIET_MINUTES),
    )
    sent = 0
    for user_id in due.values_list("user_id", flat=True).distinct():
        user = (
            get_user_model()
            .objects.filter(pk=user_id, is_active=True)
            .select_related("profile")
            .first()
        )
        notes = list(
            due.filter(user_id=user_id).select_related("actor", "paper", "author")[:MAX_PER_MESSAGE]
        )
        profile = getattr(user, "profile", None) if user else None
        prefs = settings_for(user) if user else None
        if user and prefs and user.email and profile and profile.email_confirmed_at:
            wanted = [n for n in notes if n.kind not in prefs.email_off]
            if wanted:
                try:
                    _message(user, wanted, prefs).send()
                except Exception:  # the mail server refused: the next run tries again
                    log.exception("notification mail to user %s failed", user_id)
                    continue
                sent += 1
        # Sent, or not to be sent: either way done with (an opted-out kind is never mailed later).
        Notification.objects.filter(pk__in=[n.pk for n in notes]).update(emailed_at=now)
    return sent
