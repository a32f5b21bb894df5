"""EMAIL_URL: where mail goes, as one URL.

smtp://user:password@host:587        SMTP, upgraded with STARTTLS when ?starttls=1 (default off)
smtps://user:password@host:465       SMTP over implicit TLS
console://                           printed to standard output (development; the default)
locmem://                            kept in memory (tests)
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from dailypapers.conf import parse_bool

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def parse_email_url(url: str) -> dict[str, object]:
    """Django's EMAIL_* settings for the URL; ValueError with a reason if it is not usable."""
    parts = urlsplit(url)
    if parts.scheme not in BACKENDS:
        raise ValueError(f"expected one of {', '.join(s + '://' for s in BACKENDS)}")
    settings: dict[str, object] = {"EMAIL_BACKEND": BACKENDS[parts.scheme]}
    if parts.scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ValueError("an SMTP URL needs a host")
        query = parse_qs(parts.query)
        settings.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=parts.port or (465 if parts.scheme == "smtps" else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=parse_bool(query.get("starttls", ["0"])[0]),
            EMAIL_TIMEOUT=int(query.get("timeout", ["20"])[0]),
        )
    return settings
