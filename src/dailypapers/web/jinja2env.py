"""The Jinja2 environment of the site's pages (Django's admin keeps its own templates).

Jinja2 renders the feed about three times faster than Django's template language, which the feed
page's time budget needs (benchmarks/import_feed.py).
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any
from urllib.parse import quote as urlquote
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.staticfiles import finders
from django.middleware.csrf import get_token
from django.templatetags.static import static as static_url
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from dailypapers.authors import orgs
from dailypapers.authors.index import key_of
from dailypapers.feed.listings import format_day
from dailypapers.library.collections import containing
from dailypapers.library.models import Collection, CollectionItem
from dailypapers.notifications.notify import unread_count
from dailypapers.papers.categories import category_hue, category_name
from dailypapers.web.views.library import READING_LIST


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def pluralize(count: int, plural: str = "s", singular: str = "") -> str:
    return singular if count == 1 else plural


def intcomma(value: int) -> str:
    return f"{value:,}"


def csrf_field(request: Any) -> Markup:
    """The CSRF form field, made once per request (each `csrf_input` masks a new token)."""
    field = getattr(request, "_dailypapers_csrf_field", None)
    if field is None:
        token = get_token(request)
        field = Markup('<input type="hidden" name="csrfmiddlewaretoken" value="{}">').format(token)
        request._dailypapers_csrf_field = field
    return field


NAV = (
    ("day", "Daily", "papers:home"),
    ("foryou", "For you", "personal:for-you"),
    ("week", "Weekly", "papers:latest-week"),
    ("month", "Monthly", "papers:latest-month"),
    ("trending", "Trending", "papers:trending"),
    ("arxiv", Markup('<span class="long">New on </span>arXiv'), "papers:arxiv"),
)
SECTIONS = (
    ("/papers/date", "day"),
    ("/papers/week", "week"),
    ("/papers/month", "month"),
    ("/papers/trending", "trending"),
    ("/arxiv", "arxiv"),
    ("/search", "search"),
    ("/for-you", "foryou"),
)


def nav_links() -> list[tuple[str, str, str]]:
    return [(key, label, reverse(name)) for key, label, name in NAV]


def nav_section(request: Any) -> str:
    """Which listing of the header a page belongs to (marked as the current one)."""
    path = request.path
    if path in ("/", "/papers"):
        return "day"
    return next((key for prefix, key in SECTIONS if path.startswith(prefix)), "")


def absolute(path: str) -> str:
    """A full URL on the site's public address (DAILYPAPERS_SITE_URL), for tags read elsewhere."""
    return settings.SITE_URL + path if path.startswith("/") else path


CANONICAL_PARAMETERS = ("q", "category", "sort", "from", "to", "page")


def canonical_url(request: Any) -> str:
    """The page's one address: the site's, its path, and only the parameters that change what it
    shows (not htmx's, trackers' or a typo's)."""
    kept = [(k, request.GET[k]) for k in CANONICAL_PARAMETERS if request.GET.get(k)]
    return absolute(request.path + ("?" + urlencode(kept) if kept else ""))


LOGO = Markup(
    '<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false">'
    '<rect x="4" y="2" width="20" height="26" rx="3" fill="var(--accent)"/>'
    '<rect x="8" y="5" width="20" height="25" rx="3" fill="var(--surface)" stroke="var(--ink)" '
    'stroke-width="2"/><path d="M12.5 12h11M12.5 17h11M12.5 22h7" stroke="var(--ink)" '
    'stroke-width="2" stroke-linecap="round"/></svg>'
)


@functools.lru_cache(maxsize=256)
def static(path: str) -> str:
    """A static file's address with its content's hash (`style.css?v=1a2b3c4d`): browsers keep
    files for a day (WHITENOISE_MAX_AGE) and still see a new version at once after an upgrade."""
    found = finders.find(path)
    if not found:
        return static_url(path)
    with open(found, "rb") as handle:
        version = hashlib.blake2b(handle.read(), digest_size=4).hexdigest()
    return f"{static_url(path)}?v={version}"


def logo() -> Markup:
    return LOGO


@functools.lru_cache(maxsize=2048)
def avatar(name: str, size: str = "") -> Markup:
    """A person's identicon, drawn from their name: a 5 x 5 mirrored pattern in a hue of its own
    (inline SVG: no request, no upload needed). Decorative: the name is always written beside."""
    digest = hashlib.blake2b(name.encode("utf-8", "replace"), digest_size=20).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    cells = []
    for i in range(15):  # 3 columns of 5, mirrored into 5 x 5
        if digest[2 + i] & 1:
            x, y = i % 3, i // 3
            cells.append(f'<rect x="{x}" y="{y}" width="1" height="1"/>')
            if x < 2:
                cells.append(f'<rect x="{4 - x}" y="{y}" width="1" height="1"/>')
    css = f"avatar {size}".strip()
    return Markup(
        f'<svg class="{css}" viewBox="-1 -1 7 7" aria-hidden="true" focusable="false">'
        f'<rect x="-1" y="-1" width="7" height="7" fill="hsl({hue} 55% 90%)"/>'
        f'<g fill="hsl({hue} 55% 38%)">{"".join(cells)}</g></svg>'
    )


def category_dot(code: str) -> Markup:
    return Markup(
        '<svg class="dot" viewBox="0 0 2 2" aria-hidden="true" focusable="false">'
        f'<circle cx="1" cy="1" r="1" fill="hsl({category_hue(code)} 55% 45%)"/></svg>'
    )


@functools.cache
def _author_prefix() -> str:
    return reverse("people:author", args=["x"])[:-1]


def author_url(name: str) -> str:
    """The page of an author name (people/names.py), or "" for a name without letters."""
    found = key_of(name)  # cached: a page repeats names
    return _author_prefix() + urlquote(found) if found else ""


def org_url(name: str) -> str:
    """The page of an organization name (people/orgs.py), or "" for a name without letters."""
    found = orgs.key(name)
    return reverse("people:organization", args=[found]) if found else ""


def unread_notifications(request: Any) -> int:
    """The signed-in user's unread notifications, counted once per request."""
    found = getattr(request, "_dailypapers_unread", None)
    if found is None:
        found = request._dailypapers_unread = unread_count(request.user)
    return found


def ago(value: Any) -> str:
    """`3 hours ago`, or `just now` within a minute."""
    if value is None:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value).split(',')[0]} ago"


def saved_ids(request: Any) -> set[int]:
    """Papers in the signed-in user's "Reading list" (the cards' Save button), read once."""
    found = getattr(request, "_dailypapers_saved", None)
    if found is None:
        found = set()
        if request.user.is_authenticated:
            found = set(
                CollectionItem.objects.filter(
                    collection__owner=request.user, collection__name=READING_LIST
                ).values_list("paper_id", flat=True)
            )
        request._dailypapers_saved = found
    return found


def my_collections(request: Any) -> list:
    if not request.user.is_authenticated:
        return []
    return list(Collection.objects.filter(owner=request.user).order_by("name"))


def collections_holding(request: Any, paper: Any) -> set[int]:
    return containing(request.user, paper)


def environment(**options: Any) -> Environment:
    # HTML is escaped; the plain-text parts of emails (.txt) are not.
    options["autoescape"] = select_autoescape(("html", "xml"), default_for_string=True)
    env = Environment(**options)
    env.globals.update(static=static, url=url, get_messages=get_messages, csrf_field=csrf_field)
    env.globals.update(
        author_url=author_url, org_url=org_url, unread_notifications=unread_notifications
    )
    env.globals.update(
        saved_ids=saved_ids, my_collections=my_collections, collections_holding=collections_holding
    )
    env.globals.update(
        nav_links=nav_links,
        nav_section=nav_section,
        absolute=absolute,
        canonical_url=canonical_url,
        logo=logo,
        avatar=avatar,
        category_dot=category_dot,
        category_name=category_name,
    )
    env.filters.update(pluralize=pluralize, intcomma=intcomma, day=format_day)
    env.filters.update(ago=ago)
    return env
