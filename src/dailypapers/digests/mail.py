"""Digest messages: HTML and text parts from one template pair, RFC 8058 headers, optional DKIM."""

from __future__ import annotations

from email.utils import make_msgid, parseaddr
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string

from dailypapers.core.mail import DigestMessage, sender_domain
from dailypapers.digests.models import Subscription


def links(subscription: Subscription) -> dict[str, str]:
    base = settings.SITE_URL
    return {
        "unsubscribe": f"{base}/digest/unsubscribe/{subscription.token}",
        "manage": f"{base}/digest/manage/{subscription.token}",
        "confirm": f"{base}/digest/confirm/{subscription.token}",
    }


def unsubscribe_headers(subscription: Subscription) -> dict[str, str]:
    """RFC 2369 and RFC 8058: one-click unsubscribe by POST to the URL, or by mail."""
    mailbox = settings.DIGEST_UNSUBSCRIBE_MAILTO or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    subject = quote(f"unsubscribe {subscription.token}")
    url = links(subscription)["unsubscribe"]
    return {
        "List-Unsubscribe": f"<{url}>, <mailto:{mailbox}?subject={subject}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"Daily Papers digest <digest.{sender_domain()}>",
    }


def build(
    subscription: Subscription,
    context: dict[str, Any],
    *,
    message_id: str,
    connection: Any = None,
) -> DigestMessage:
    """The message for one subscriber: text and HTML from `digests/email/digest.{txt,html}`."""
    context = {**context, "subscription": subscription, "links": links(subscription)}
    text = render_to_string("digests/email/digest.txt", context)
    subject, _, body = text.partition("\n")
    message = DigestMessage(
        subject.strip(),
        body.lstrip("\n"),
        to=[subscription.email],
        headers={**unsubscribe_headers(subscription), "Message-ID": message_id},
        connection=connection,
    )
    message.attach_alternative(render_to_string("digests/email/digest.html", context), "text/html")
    return message


def delivery_message_id(delivery_id: int, period: str) -> str:
    """The same for every attempt of a delivery, so a duplicate is recognisable as one."""
    return f"<digest-{delivery_id}-{period.replace(':', '-')}@{sender_domain()}>"


def preview_message_id() -> str:
    return make_msgid("digest-preview", domain=sender_domain())
