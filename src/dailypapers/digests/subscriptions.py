"""Subscribing (double opt-in), managing and unsubscribing: no account needed."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from dailypapers.community.services import send_email
from dailypapers.digests.mail import links
from dailypapers.digests.models import Subscription
from dailypapers.feed.listings import CATEGORY

MAX_TOPICS = 20


class SubscriptionError(ValueError):
    """The request cannot be accepted; the message is fit for the person."""


def clean_topics(categories: list[str], keywords: list[str]) -> tuple[list[str], list[str]]:
    cats = [c.strip() for c in categories if c.strip()]
    for code in cats:
        if not CATEGORY.fullmatch(code):
            raise SubscriptionError(f"{code[:40]!r} is not an arXiv category such as cs.LG")
    words = [k.strip()[:100] for k in keywords if k.strip()]
    if len(cats) > MAX_TOPICS or len(words) > MAX_TOPICS:
        raise SubscriptionError(f"At most {MAX_TOPICS} categories and {MAX_TOPICS} keywords.")
    return list(dict.fromkeys(cats)), list(dict.fromkeys(words))


def subscribe(
    email: str,
    frequency: str,
    *,
    categories: Sequence[str] = (),
    keywords: Sequence[str] = (),
    user: User | AnonymousUser | None = None,
) -> Subscription:
    """Record the wish and send a confirmation link. The same answer whoever asks: a known
    address gets a new link (or, if confirmed already, a link to manage its subscription)."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except Exception:
        raise SubscriptionError("Enter a valid email address.") from None
    if frequency not in (Subscription.DAILY, Subscription.WEEKLY):
        raise SubscriptionError("Choose daily or weekly.")
    cats, words = clean_topics(list(categories), list(keywords))
    with transaction.atomic():
        sub, _ = Subscription.objects.get_or_create(
            email=email, defaults={"frequency": frequency, "categories": cats, "keywords": words}
        )
        if not sub.confirmed_at or sub.unsubscribed_at:
            # Not (or no longer) confirmed: the wish can be restated until it is confirmed.
            sub.frequency, sub.categories, sub.keywords = frequency, cats, words
            sub.unsubscribed_at = None
            if user is not None and user.is_authenticated and user.email.lower() == email:
                sub.user = user
            sub.save()
    if sub.confirmed_at and not sub.unsubscribed_at:
        send_email(sub.email, "digests/email/manage", {"sub": sub, "links": links(sub)})
    else:
        send_email(sub.email, "digests/email/confirm", {"sub": sub, "links": links(sub)})
    return sub


def confirm(sub: Subscription) -> None:
    if not sub.confirmed_at or sub.unsubscribed_at or sub.bounced_at:
        Subscription.objects.filter(pk=sub.pk).update(
            confirmed_at=timezone.now(), unsubscribed_at=None, bounced_at=None, hard_failures=0
        )
        sub.refresh_from_db()


def unsubscribe(sub: Subscription) -> None:
    """Idempotent: a second request changes nothing."""
    Subscription.objects.filter(pk=sub.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    sub.refresh_from_db()


def update(
    sub: Subscription,
    frequency: str,
    categories: list[str],
    keywords: list[str],
    *,
    for_you: bool = False,
    user: User | AnonymousUser | None = None,
) -> None:
    """Change the wish. `for_you` needs an account: the subscription's, or the signed-in user's
    when their confirmed address is the subscription's (the account is then linked)."""
    if frequency not in (Subscription.DAILY, Subscription.WEEKLY):
        raise SubscriptionError("Choose daily or weekly.")
    cats, words = clean_topics(categories, keywords)
    if (
        sub.user_id is None
        and user is not None
        and user.is_authenticated
        and (user.email or "").lower() == sub.email
    ):
        sub.user = user
    if for_you and sub.user_id is None:
        raise SubscriptionError(
            "“For you” picks need an account: sign in with this address, then save this form."
        )
    sub.categories, sub.keywords, sub.frequency, sub.for_you = cats, words, frequency, for_you
    sub.save(update_fields=["frequency", "categories", "keywords", "for_you", "user"])
