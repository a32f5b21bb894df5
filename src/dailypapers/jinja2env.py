"""The Jinja2 environment of the site's pages (Django's admin keeps its own templates).

Jinja2 renders the feed about three times faster than Django's template language, which the feed
page's time budget needs (benchmarks/import_feed.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.messages import get_messages
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import Environment, select_autoescape
from markupsafe import Markup


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def pluralize(count: int, plural: str = "s", singular: str = "") -> str:
    return singular if count == 1 else plural


def intcomma(value: int) -> str:
    return f"{value:,}"


def day(value: dt.date | dt.datetime | None, style: str = "short") -> str:
    """`May 28, 2026` (short month) or `May 28, 2026` with the full month name (`long`)."""
    if value is None:
        return ""
    month = value.strftime("%B" if style == "long" else "%b")
    return f"{month} {value.day}, {value.year}"


def csrf_field(request: Any) -> Markup:
    """The CSRF form field, made once per request (each `csrf_input` masks a new token)."""
    field = getattr(request, "_dailypapers_csrf_field", None)
    if field is None:
        token = get_token(request)
        field = Markup('<input type="hidden" name="csrfmiddlewaretoken" value="{}">').format(token)
        request._dailypapers_csrf_field = field
    return field


def environment(**options: Any) -> Environment:
    # HTML is escaped; the plain-text parts of emails (.txt) are not.
    options["autoescape"] = select_autoescape(("html", "xml"), default_for_string=True)
    env = Environment(**options)
    env.globals.update(static=static, url=url, get_messages=get_messages, csrf_field=csrf_field)
    env.filters.update(pluralize=pluralize, intcomma=intcomma, day=day)
    return env
