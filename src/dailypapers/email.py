"""EMAIL_URL: where mail goes, as one URL.

    smtp://user:password@host:587        SMTP, upgraded with STARTTLS when ?starttls=1 (default off)
    smtps://user:password@host:465       SMTP over implicit TLS
    console://                           printed to standard output (development; the default)
    locmem://                            kept in memory (tests)

Django 6.1 replaced the EMAIL_* settings with MAILERS; `mail_settings` gives whichever the
installed Django reads.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import django

from dailypapers.conf import parse_bool

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


def open_connection() -> object:
    """A connection to the default mailer, to send many messages through (Django 6.1: mailers)."""
    try:
        from django.core.mail import mailers  # Django 6.1+
    except ImportError:
        from django.core.mail import get_connection

        return get_connection()
    return mailers.default


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
