"""The configuration's system checks (Django's check framework, tag `dailypapers`, deployment
checks): `dailypapers check --deploy` and `dailypapers doctor` run them. Each message says what
to set."""

from __future__ import annotations

import ipaddress
import os
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from dailypapers.core.mail import mail_backend

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"


@register("dailypapers", Tags.security, deploy=True)
def configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    site = urlsplit(settings.SITE_URL)
    if settings.DEBUG:
        messages.append(
            Error(
                "DAILYPAPERS_DEBUG is on: error pages show the code and settings to anyone.",
                hint="Unset DAILYPAPERS_DEBUG (or set it to false) on a public server.",
                id="dailypapers.E001",
            )
        )
    if site.hostname in LOCAL_HOSTS:
        messages.append(
            Warning(
                f"DAILYPAPERS_SITE_URL is {settings.SITE_URL}: links in mail and feeds point to "
                "this machine, not to the address people use.",
                hint="Set DAILYPAPERS_SITE_URL=https://papers.example.org (your public address).",
                id="dailypapers.W002",
            )
        )
    elif site.hostname not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        messages.append(
            Error(
                f"The host of DAILYPAPERS_SITE_URL ({site.hostname}) is not in "
                "DAILYPAPERS_ALLOWED_HOSTS: every request to it is refused (400).",
                hint=f"Add {site.hostname} to DAILYPAPERS_ALLOWED_HOSTS.",
                id="dailypapers.E003",
            )
        )
    if site.scheme == "https" and not settings.SECURE_SSL_REDIRECT:
        messages.append(
            Warning(
                "DAILYPAPERS_SITE_URL is https but DAILYPAPERS_HTTPS is off: cookies are not "
                "marked Secure and plain HTTP is not redirected.",
                hint="Set DAILYPAPERS_HTTPS=true (behind a proxy, it must send "
                "X-Forwarded-Proto: https from an address in DAILYPAPERS_TRUSTED_PROXIES).",
                id="dailypapers.W004",
            )
        )
    elif site.scheme == "http" and settings.SECURE_SSL_REDIRECT:
        messages.append(
            Error(
                "DAILYPAPERS_HTTPS is on but DAILYPAPERS_SITE_URL is http: links in mail and "
                "feeds lead to a redirect, and a missing TLS front end to a loop.",
                hint="Set DAILYPAPERS_SITE_URL to its https:// address.",
                id="dailypapers.E005",
            )
        )
    if mail_backend() == CONSOLE_MAIL:
        messages.append(
            Warning(
                "EMAIL_URL is not set: mail (sign-up confirmations, digests, notifications) is "
                "printed to the log, not sent.",
                hint="Set EMAIL_URL=smtp+tls://user:password@smtp.example.org:587.",
                id="dailypapers.W006",
            )
        )
    generated_key = not os.environ.get("DAILYPAPERS_SECRET_KEY")
    if generated_key and settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        messages.append(
            Warning(
                "DAILYPAPERS_SECRET_KEY is not set: each machine generates its own key in its "
                "data directory, so sessions and links signed by one fail on the others.",
                hint="Set DAILYPAPERS_SECRET_KEY on every machine to the same value (python -c "
                '"import secrets; print(secrets.token_urlsafe(50))").',
                id="dailypapers.W007",
            )
        )
    for network in settings.TRUSTED_PROXIES:
        net = ipaddress.ip_network(network)
        if net.prefixlen < (8 if net.version == 4 else 32) or net.is_global:
            messages.append(
                Error(
                    f"DAILYPAPERS_TRUSTED_PROXIES holds {net}: anyone there can forge their "
                    "address (X-Forwarded-For) past the rate limits, and the scheme.",
                    hint="List only the addresses of your own reverse proxies "
                    "(e.g. 127.0.0.1,10.0.0.5).",
                    id="dailypapers.E008",
                )
            )
    return messages
