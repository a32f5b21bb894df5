"""Sending to chat channels: plan an outbox row per message, claim each once, send, record.

The same guarantees as the email digests (digests/sending.py):
- Never lost: every message due to a channel is first written as a `ChatDelivery` row (the
  outbox), under a key unique per channel, by `plan`; only then is anything sent. Notifications
  and collection additions are planned from a window that overlaps the previous one
  (`OVERLAP`), so a row committed late is still seen; the key makes the overlap harmless.
- Never twice by two workers: a delivery is claimed by a conditional UPDATE (pending ->
  sending); only the worker whose UPDATE changed the row sends it. A claim is a lease: a worker
  that died holding one leaves it to the next run after DAILYPAPERS_CHAT_LEASE_SECONDS. This is
  at-least-once: a worker killed after the service accepted a message, before it wrote "sent",
  causes one duplicate, that message; nothing else is sent twice.
- Retried with backoff: a message the service refused or could not be reached for is tried
  again 1, 2, 4... minutes later (at most 6 hours apart), up to DAILYPAPERS_CHAT_MAX_ATTEMPTS.
- One channel failing never stops the others: each delivery's failure is recorded on its row
  and its channel (`last_error`), and the loop goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import apprise
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from dailypapers.chat import addresses, messages
from dailypapers.chat.models import Channel, ChatDelivery
from dailypapers.core import outbox
from dailypapers.feed import listings
from dailypapers.library.models import CollectionItem
from dailypapers.notifications.models import Follow, Notification

log = logging.getLogger(__name__)
OVERLAP = dt.timedelta(hours=1)  # each planning window starts this long before the last one ended
TITLE_ROOM = 300  # characters of a service's limit left for the title and Apprise's wrapping


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def collection_allowed(channel: Channel) -> bool:
    """A site-wide channel follows a public collection; a personal one, one its owner sees."""
    collection = channel.collection
    if collection is None:
        return False
    return collection.public or collection.owner_id == channel.owner_id


def keys_due(channel: Channel, now: dt.datetime, today: dt.date | None = None) -> list[str]:
    """The delivery keys the channel is due now (some may have rows already)."""
    today = today or listings.today()
    keys = []
    day = listings.latest_day(today)
    if channel.daily and day:
        keys.append(f"{messages.DAILY}:{day.isoformat()}")
    if channel.weekly:
        week = listings.week_period(today - dt.timedelta(days=7))
        if listings.entries_in(week).exists():
            keys.append(f"{messages.WEEKLY}:{week.slug}")
    since = channel.created_at
    if channel.planned_until:
        since = max(since, channel.planned_until - OVERLAP)
    window = {"gt": since, "lte": now}
    if channel.followed and channel.owner_id:
        notes = Notification.objects.filter(
            user_id=channel.owner_id,
            kind=Notification.NEW_PAPER,
            created_at__gt=window["gt"],
            created_at__lte=window["lte"],
        ).values_list("pk", flat=True)
        keys += [f"{messages.NOTIFICATION}:{pk}" for pk in notes]
        if day:
            searches = Follow.objects.filter(user_id=channel.owner_id, kind=Follow.QUERY)
            keys += [
                f"{messages.SEARCH}:{pk}:{day.isoformat()}"
                for pk in searches.values_list("pk", flat=True)
            ]
    if channel.collection_id and collection_allowed(channel):
        items = CollectionItem.objects.filter(
            collection_id=channel.collection_id,
            added_at__gt=window["gt"],
            added_at__lte=window["lte"],
        ).values_list("pk", flat=True)
        keys += [f"{messages.COLLECTION}:{channel.collection_id}:{pk}" for pk in items]
    return keys


def plan(now: dt.datetime | None = None, today: dt.date | None = None) -> int:
    """Write the outbox rows of every enabled channel; returns how many were new."""
    now = now or timezone.now()
    made = 0
    channels = Channel.objects.filter(enabled=True).filter(
        Q(owner__isnull=True) | Q(owner__is_active=True)  # a banned owner's channels stop
    )
    for channel in channels.select_related("collection"):
        keys = keys_due(channel, now, today)
        if keys:
            have = set(
                ChatDelivery.objects.filter(channel=channel, key__in=keys).values_list(
                    "key", flat=True
                )
            )
            new = [
                ChatDelivery(channel=channel, key=key, next_attempt_at=now, created_at=now)
                for key in dict.fromkeys(keys)
                if key not in have
            ]
            # A concurrent planner may have written some: the unique key keeps one of each.
            ChatDelivery.objects.bulk_create(new, ignore_conflicts=True)
            made += len(new)
        Channel.objects.filter(pk=channel.pk).update(planned_until=now)
    return made


def claim(worker: str, now: dt.datetime | None = None, limit: int = 50) -> list[ChatDelivery]:
    """Take up to `limit` due deliveries for this worker; each is taken by one worker only."""
    lease = dt.timedelta(seconds=settings.CHAT_LEASE_SECONDS)
    return outbox.claim_due(
        ChatDelivery, worker, now or timezone.now(), lease, limit=limit, related="channel"
    )


def owner_active(channel: Channel) -> bool:
    return (
        channel.owner_id is None
        or User.objects.filter(pk=channel.owner_id, is_active=True).exists()
    )


def deliver(plugin: Any, message: messages.Message, *, personal: bool = False) -> str | None:
    """Send one message through Apprise; None when the service took it, else why not. A
    personal channel's connections go to public addresses only (`addresses`)."""
    box = apprise.Apprise()
    box.add(plugin)
    with (
        addresses.public_connections_only(personal and not settings.CHAT_USER_PRIVATE) as refused,
        apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured,
    ):
        ok = box.notify(
            body=message.body,
            title=message.title[:200],
            body_format=apprise.NotifyFormat.MARKDOWN,
        )
    if ok:
        return None
    if refused:
        return (
            f"refused to connect to {', '.join(dict.fromkeys(refused))}: a private or local "
            "address (personal channels post to public services only)"
        )
    lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    return " / ".join(lines[-3:])[:1000] or "the service did not accept the message"


def limit_for(plugin: Any) -> int:
    return max(200, min(settings.CHAT_MAX_CHARS, plugin.body_maxlen) - TITLE_ROOM)


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=1) * 2 ** max(attempts - 1, 0), dt.timedelta(hours=6))


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.retried} to retry, {self.failed} failed, "
            f"{self.skipped} skipped"
        )


def send_due(
    *,
    worker: str | None = None,
    now: Callable[[], dt.datetime] = timezone.now,
) -> SendReport:
    """Send every due delivery; returns what happened. Safe to run in several processes."""
    worker = worker or worker_name()
    report = SendReport()
    plugins: dict[int, Any] = {}
    while True:
        batch = claim(worker, now())
        if not batch:
            break
        for delivery in batch:
            try:
                _send_one(delivery, plugins, report, now)
            except Exception as exc:  # one bad message or channel never stops the others
                log.exception("chat message %s to channel %s", delivery.key, delivery.channel_id)
                _failed(delivery, f"{type(exc).__name__}: {exc}", report, now(), retry=True)
    return report


def _send_one(
    delivery: ChatDelivery,
    plugins: dict[int, Any],
    report: SendReport,
    now: Callable[[], dt.datetime],
) -> None:
    channel = delivery.channel
    if not channel.enabled or not owner_active(channel):
        ChatDelivery.objects.filter(pk=delivery.pk).update(status=ChatDelivery.SKIPPED)
        report.skipped += 1
        return
    if channel.pk not in plugins:
        try:
            plugins[channel.pk] = addresses.check(channel.url, personal=not channel.site_wide)
        except addresses.Unresolvable as exc:  # perhaps for a while: later
            _failed(delivery, str(exc), report, now(), retry=True)
            return
        except addresses.ChannelError as exc:  # refused: no attempt will do better
            _failed(delivery, str(exc), report, now(), retry=False)
            return
    plugin = plugins[channel.pk]
    message = messages.build(channel, delivery.key, limit_for(plugin))
    if message is None:
        ChatDelivery.objects.filter(pk=delivery.pk).update(status=ChatDelivery.SKIPPED)
        report.skipped += 1
        return
    error = deliver(plugin, message, personal=not channel.site_wide)
    if error is not None:
        _failed(delivery, error, report, now(), retry=True)
        return
    at = now()
    ChatDelivery.objects.filter(pk=delivery.pk).update(
        status=ChatDelivery.SENT, sent_at=at, last_error="", attempts=delivery.attempts + 1
    )
    Channel.objects.filter(pk=channel.pk).update(last_sent_at=at, last_error="")
    report.sent += 1


def _failed(
    delivery: ChatDelivery, error: str, report: SendReport, now: dt.datetime, *, retry: bool
) -> None:
    attempts = delivery.attempts + 1
    text = f"{now:%Y-%m-%d %H:%M:%S} {error}"[:2000]
    if retry and attempts < settings.CHAT_MAX_ATTEMPTS:
        ChatDelivery.objects.filter(pk=delivery.pk).update(
            status=ChatDelivery.PENDING,
            attempts=attempts,
            next_attempt_at=now + backoff(attempts),
            last_error=text,
        )
        report.retried += 1
    else:
        ChatDelivery.objects.filter(pk=delivery.pk).update(
            status=ChatDelivery.FAILED, attempts=attempts, last_error=text
        )
        report.failed += 1
    Channel.objects.filter(pk=delivery.channel_id).update(last_error=text, last_error_at=now)
    log.warning("chat message %s to channel %s: %s", delivery.key, delivery.channel_id, error)


def send_test(channel: Channel) -> str | None:
    """Send the test message now; None when the service took it, else why not (also recorded
    as the channel's last error)."""
    try:
        if not owner_active(channel):
            raise addresses.ChannelError("The owner of this channel is banned.")
        plugin = addresses.check(channel.url, personal=not channel.site_wide)
        error = deliver(plugin, messages.test_message(), personal=not channel.site_wide)
    except addresses.ChannelError as exc:
        error = str(exc)
    now = timezone.now()
    if error is None:
        Channel.objects.filter(pk=channel.pk).update(last_sent_at=now, last_error="")
    else:
        Channel.objects.filter(pk=channel.pk).update(
            last_error=f"{now:%Y-%m-%d %H:%M:%S} {error}"[:2000], last_error_at=now
        )
    return error


def run() -> SendReport:
    """The scheduled job: plan what every channel is due, then send it."""
    plan()
    return send_due()
