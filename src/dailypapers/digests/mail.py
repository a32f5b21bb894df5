"""Digest messages: HTML and text parts from one template pair, RFC 8058 headers, optional DKIM."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from dailypapers.digests.models import Subscription

SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"list-unsubscribe", b"list-unsubscribe-post", b"list-id",
)  # fmt: skip


def sender_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


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


class DigestMessage(EmailMultiAlternatives):
    """An EmailMultiAlternatives signed with DKIM when DAILYPAPERS_DKIM_* are set."""

    def message(self, *args: Any, **kwargs: Any) -> Any:
        msg = super().message(*args, **kwargs)
        if settings.DKIM_KEY:
            import dkim

            try:  # Django 5.2's own MIME classes
                raw = msg.as_bytes(linesep="\r\n")
            except TypeError:  # Django 6.1: the standard library's EmailMessage
                raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
            signature = dkim.sign(
                raw,
                settings.DKIM_SELECTOR.encode(),
                settings.DKIM_DOMAIN.encode(),
                settings.DKIM_KEY,
                include_headers=[h for h in SIGNED_HEADERS if msg[h.decode()] is not None],
            )
            name, _, value = signature.decode().partition(":")
            msg[name] = value.strip().replace("\r\n", "").replace("\n", "")
            # Put it first, where a signer adds it (email.message keeps headers in a list).
            msg._headers.insert(0, msg._headers.pop())
        return msg


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
    from email.utils import make_msgid

    return make_msgid("digest-preview", domain=sender_domain())
