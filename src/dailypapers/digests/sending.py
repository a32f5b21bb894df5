"""Sending digests: plan one delivery per subscriber and period, claim each, send, record.

Guarantees (documented in the README):
- Never twice by two workers: a delivery is claimed by a conditional UPDATE (pending -> sending);
  only the worker whose UPDATE changed the row sends it.
- Never lost: a claim is a lease. If a worker dies, its claimed delivery becomes claimable again
  when the lease ends (DAILYPAPERS_DIGEST_LEASE_SECONDS) and is sent by the next run. This is
  at-least-once: a worker killed after the SMTP server accepted a message but before it wrote
  "sent" causes one duplicate, the message that was in flight; nothing else is sent twice.
- SMTP 4xx, or a dropped connection: retried later with exponential backoff, up to
  DAILYPAPERS_DIGEST_MAX_ATTEMPTS. SMTP 5xx: failed for this period; after
  DAILYPAPERS_DIGEST_BOUNCE_AFTER consecutive 5xx the address is marked bounced and skipped.
- Throttled to DAILYPAPERS_DIGEST_RATE messages a second (0: no limit).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.utils import timezone

from dailypapers.core import outbox
from dailypapers.core.bulk import upsert_rows
from dailypapers.core.mail import open_connection
from dailypapers.digests import mail
from dailypapers.digests.models import Delivery, Subscription
from dailypapers.feed import listings
from dailypapers.feed.models import DailyEntry
from dailypapers.library.models import Pick
from dailypapers.papers.models import Paper

log = logging.getLogger(__name__)
POOL = 300  # trending entries of a period from which each subscriber's digest is chosen
NEW_POOL = 20_000  # most catalogue papers of a period matched against subscribers' topics


@dataclass(frozen=True)
class DigestPeriod:
    key: str  # "daily:2026-05-28" or "weekly:2026-W21"
    frequency: str
    period: listings.Period

    @property
    def title(self) -> str:
        p = self.period
        if self.frequency == Subscription.DAILY:
            return listings.format_day(p.start, "long")
        return (
            f"week {p.slug[-2:]}, {p.start:%b} {p.start.day} – {p.end:%b} {p.end.day}, {p.end.year}"
        )


def current_period(frequency: str, today: dt.date | None = None) -> DigestPeriod | None:
    """Daily: the latest day with papers. Weekly: the last complete ISO week."""
    today = today or listings.today()
    if frequency == Subscription.DAILY:
        day = listings.latest_day(today)
        if day is None:
            return None
        return DigestPeriod(f"daily:{day.isoformat()}", frequency, listings.Period("day", day, day))
    week = listings.week_period(today - dt.timedelta(days=7))
    return DigestPeriod(f"weekly:{week.slug}", frequency, week)


def plan(digest: DigestPeriod, now: dt.datetime | None = None) -> int:
    """Create the missing deliveries of a period for every active subscriber; returns how many."""
    now = now or timezone.now()
    period = digest.period
    in_feed = listings.entries_in(period).exists()
    if not in_feed and not listings.listed_in(period.start, period.end).exists():
        return 0
    active = Subscription.objects.filter(
        frequency=digest.frequency,
        confirmed_at__isnull=False,
        unsubscribed_at__isnull=True,
        bounced_at__isnull=True,
    ).values_list("pk", flat=True)
    before = Delivery.objects.filter(period=digest.key).count()
    upsert_rows(
        Delivery,
        [
            "subscription",
            "period",
            "status",
            "attempts",
            "next_attempt_at",
            "claimed_by",
            "last_error",
        ],
        ((pk, digest.key, Delivery.PENDING, 0, now, "", "") for pk in active.iterator()),
        conflict=["subscription", "period"],
    )
    return Delivery.objects.filter(period=digest.key).count() - before


@dataclass
class Content:
    """The period's papers, loaded once, from which each subscriber's digest is picked.

    Two sections: the Daily feed's trending papers (the subscriber's topics first), then the
    catalogue's papers announced in the period that match the subscriber's topics ("new on arXiv
    in your topics"), when the subscriber has topics.
    """

    digest: DigestPeriod
    entries: list[DailyEntry] = field(default_factory=list)

    @classmethod
    def load(cls, digest: DigestPeriod) -> Content:
        qs = listings.entries_in(digest.period)
        ids = listings.trending_ids(qs, digest.period, 0, POOL)
        by_id = DailyEntry.objects.select_related("paper").in_bulk(ids)
        return cls(digest, [by_id[i] for i in ids])

    @cached_property
    def listed(self) -> list[Paper]:
        """The period's catalogue papers outside the feed: read once, and only when a subscriber
        has topics to match them against."""
        p = self.digest.period
        fields = ("id", "arxiv_id", "title", "abstract", "authors", "categories")
        return list(
            listings.listed_in(p.start, p.end)
            .filter(entry__isnull=True)
            .only(*fields, "primary_category")
            .order_by("-upvotes_local", "-published_at", "-id")[:NEW_POOL]
        )

    def pick(self, subscription: Subscription) -> tuple[list[DailyEntry], set[int], list[Paper]]:
        """Trending entries (topics first, the ids of those that matched), then new on arXiv."""
        size = settings.DIGEST_SIZE
        matches = topic_matcher(subscription)
        matched = []
        if matches:
            for entry in self.entries:
                if matches(entry.paper):
                    matched.append(entry)
                    if len(matched) == size:
                        break
        chosen = {e.pk for e in matched}
        rest = [e for e in self.entries if e.pk not in chosen]
        new = [p for p in self.listed if matches(p)][:size] if matches else []
        return (matched + rest)[:size], chosen, new


def topic_matcher(subscription: Subscription) -> Callable[[Paper], bool] | None:
    """A test of a paper against the subscriber's categories and keywords; None without topics."""
    categories = set(subscription.categories)
    keywords = [k.lower() for k in subscription.keywords if k.strip()]
    if not categories and not keywords:
        return None

    def matches(paper: Paper) -> bool:
        if categories & set(paper.categories):
            return True
        text = f"{paper.title} {paper.abstract}".lower()
        return any(k in text for k in keywords)

    return matches


def for_you_picks(content: Content, subscription: Subscription) -> list[Paper]:
    """The subscriber's best "For you" picks of the period (an account that asked for them),
    above DAILYPAPERS_DIGEST_FORYOU_MIN_SCORE, each paper with `.because` (a Pick)."""
    if not (subscription.for_you and subscription.user_id and settings.DIGEST_FORYOU_SIZE):
        return []
    p = content.digest.period
    picks = (
        Pick.objects.filter(
            user_id=subscription.user_id,
            day__range=(p.start, p.end),
            score__gte=settings.DIGEST_FORYOU_MIN_SCORE,
        )
        .exclude(reason=Pick.OWN)  # the reader's own new papers are never picks
        .select_related("paper", "because")
        .order_by("rank")[: settings.DIGEST_FORYOU_SIZE]
    )
    out = []
    for pick in picks:
        pick.paper.pick = pick  # type: ignore[attr-defined]  # for the mail's template
        out.append(pick.paper)
    return out


def context_for(content: Content, subscription: Subscription) -> dict:
    entries, matched, new = content.pick(subscription)
    picks = for_you_picks(content, subscription)
    shown = {p.pk for p in picks}
    entries = [e for e in entries if e.paper_id not in shown]
    new = [p for p in new if p.pk not in shown]
    return {
        "for_you": picks,
        "digest": content.digest,
        "entries": entries,
        "matched": matched,
        "new_papers": new,
        "site_url": settings.SITE_URL,
    }


def claim(worker: str, now: dt.datetime | None = None, limit: int = 50) -> list[Delivery]:
    """Take up to `limit` due deliveries for this worker; each is taken by one worker only."""
    lease = dt.timedelta(seconds=settings.DIGEST_LEASE_SECONDS)
    return outbox.claim_due(
        Delivery, worker, now or timezone.now(), lease, limit=limit, related="subscription"
    )


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return (
            f"{self.sent} sent, {self.retried} to retry, {self.failed} failed, "
            f"{self.bounced} addresses bounced, {self.skipped} skipped"
        )


def _smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return max(codes) if codes else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    return None


def _backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=1) * 2 ** max(attempts - 1, 0), dt.timedelta(hours=6))


def send_due(
    *,
    worker: str | None = None,
    max_messages: int | None = None,
    on_sent: Callable[[Delivery], None] = lambda d: None,
    now: Callable[[], dt.datetime] = timezone.now,
) -> SendReport:
    """Send every due delivery; returns what happened. Safe to run in several processes at once."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    report = SendReport()
    contents: dict[str, Content] = {}
    interval = 1 / settings.DIGEST_RATE if settings.DIGEST_RATE else 0.0
    connection = open_connection()
    last_send = 0.0
    try:
        while max_messages is None or report.sent < max_messages:
            batch = claim(worker, now(), limit=1 if max_messages else 50)
            if not batch:
                break
            for delivery in batch:
                sub = delivery.subscription
                if not sub.active:
                    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.SKIPPED)
                    report.skipped += 1
                    continue
                key = delivery.period
                if key not in contents:
                    frequency, _, slug = key.partition(":")
                    period = (
                        listings.Period("day", listings.parse_day(slug), listings.parse_day(slug))
                        if frequency == Subscription.DAILY
                        else listings.parse_week(slug)
                    )
                    contents[key] = Content.load(DigestPeriod(key, frequency, period))
                context = context_for(contents[key], sub)
                if not (context["entries"] or context["new_papers"] or context["for_you"]):
                    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.SKIPPED)
                    report.skipped += 1
                    continue
                message = mail.build(
                    sub,
                    context,
                    message_id=mail.delivery_message_id(delivery.pk, delivery.period),
                    connection=connection,
                )
                wait = last_send + interval - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                last_send = time.monotonic()
                try:
                    message.send()
                except (smtplib.SMTPException, OSError) as exc:
                    _record_failure(delivery, exc, report, now())
                    connection.close()  # a fresh connection for the next message
                    continue
                Delivery.objects.filter(pk=delivery.pk).update(
                    status=Delivery.SENT,
                    sent_at=now(),
                    last_error="",
                    attempts=delivery.attempts + 1,
                )
                if sub.hard_failures:
                    Subscription.objects.filter(pk=sub.pk).update(hard_failures=0)
                report.sent += 1
                on_sent(delivery)
                if max_messages is not None and report.sent >= max_messages:
                    break
    finally:
        connection.close()
    return report


def _record_failure(
    delivery: Delivery, exc: Exception, report: SendReport, now: dt.datetime
) -> None:
    code = _smtp_code(exc)
    attempts = delivery.attempts + 1
    error = f"{now:%Y-%m-%d %H:%M:%S} {type(exc).__name__}: {exc}"[:2000]
    if code is not None and 500 <= code < 600:
        sub = delivery.subscription
        failures = sub.hard_failures + 1
        bounced = failures >= settings.DIGEST_BOUNCE_AFTER
        Subscription.objects.filter(pk=sub.pk).update(
            hard_failures=failures, bounced_at=now if bounced else None
        )
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.FAILED, attempts=attempts, last_error=error
        )
        report.failed += 1
        report.bounced += int(bounced)
        log.warning("digest to %s refused (%s)%s", sub.email, code, ": bounced" if bounced else "")
    elif attempts >= settings.DIGEST_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.FAILED, attempts=attempts, last_error=error
        )
        report.failed += 1
    else:  # 4xx, or the connection failed: later
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.PENDING,
            attempts=attempts,
            next_attempt_at=now + _backoff(attempts),
            last_error=error,
        )
        report.retried += 1


def run(frequencies: tuple[str, ...] = (Subscription.DAILY, Subscription.WEEKLY)) -> SendReport:
    """The scheduled job: plan the current periods, then send what is due."""
    for frequency in frequencies:
        digest = current_period(frequency)
        if digest:
            plan(digest)
    return send_due()
