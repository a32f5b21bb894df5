"""Mail: where it goes (EMAIL_URL), and the message class every mail of the site is sent as
(signed with DKIM when configured).

EMAIL_URL, one URL:

    smtp://user:password@host:587        SMTP, upgraded with STARTTLS when ?starttls=1 (default off)
    smtps://user:password@host:465       SMTP over implicit TLS
    console://                           printed to standard output (development; the default)
    locmem://                            kept in memory (tests)

Django 6.1 replaced the EMAIL_* settings with MAILERS; `mail_settings` gives whichever the
installed Django reads.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import django
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from dailypapers.core.parsing import parse_bool

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def parse_email_url(url: str) -> tuple[str, dict[str, object]]:
    """The backend and its options (host, port, ...); ValueError with a reason if unusable."""
    parts = urlsplit(url)
    if parts.scheme not in BACKENDS:
        raise ValueError(f"expected one of {', '.join(s + '://' for s in BACKENDS)}")
    options: dict[str, object] = {}
    if parts.scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ValueError("an SMTP URL needs a host")
        query = parse_qs(parts.query)
        options = {
            "host": parts.hostname,
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": parts.scheme == "smtps",
            "use_tls": parse_bool(query.get("starttls", ["0"])[0]),
            "timeout": int(query.get("timeout", ["20"])[0]),
        }
    return BACKENDS[parts.scheme], options


def open_connection() -> BaseEmailBackend:
    """A connection to the default mailer, to send many messages through (Django 6.1: mailers)."""
    try:
        from django.core.mail import mailers  # Django 6.1+
    except ImportError:
        from django.core.mail import get_connection

        return get_connection()
    return mailers.default


def mail_backend() -> str:
    """The backend mail goes through, whichever settings the installed Django reads."""
    mailers = getattr(settings, "MAILERS", None) if django.VERSION >= (6, 1) else None
    if mailers:
        return str(mailers.get("default", {}).get("BACKEND", ""))
    return str(getattr(settings, "EMAIL_BACKEND", ""))


def mail_settings(backend: str, options: dict[str, object]) -> dict[str, object]:
    """Django settings for a backend: MAILERS on Django 6.1+, EMAIL_* before."""
    if django.VERSION >= (6, 1):
        return {"MAILERS": {"default": {"BACKEND": backend, "OPTIONS": options}}}
    names = {
        "host": "EMAIL_HOST",
        "port": "EMAIL_PORT",
        "username": "EMAIL_HOST_USER",
        "password": "EMAIL_HOST_PASSWORD",
        "use_ssl": "EMAIL_USE_SSL",
        "use_tls": "EMAIL_USE_TLS",
        "timeout": "EMAIL_TIMEOUT",
    }
    return {"EMAIL_BACKEND": backend, **{names[k]: v for k, v in options.items()}}


SIGNED_HEADERS = (
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
    b"list-unsubscribe", b"list-unsubscribe-post", b"list-id",
)  # fmt: skip


def sender_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


class DigestMessage(EmailMultiAlternatives):
    """An EmailMultiAlternatives signed with DKIM when DAILYPAPERS_DKIM_* are set."""

    def message(self, *args: Any, **kwargs: Any) -> Any:
        msg = super().message(*args, **kwargs)
        if settings.DKIM_KEY:
            import dkim  # ~40 ms to import (dnspython): only when DKIM is configured

            try:  # Django 5.2's own MIME classes
                # (the stubs describe Django 6.1's message, whose as_bytes takes no linesep)
                raw = msg.as_bytes(linesep="\r\n")  # type: ignore[call-arg]
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
            # Put it first, where a signer adds it (email.message keeps headers in a private list).
            msg._headers.insert(0, msg._headers.pop())  # type: ignore[attr-defined]
        return msg
