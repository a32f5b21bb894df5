"""What a channel is told: a title and a Markdown body for each delivery key.

The body links every paper to its page on this site (`SITE_URL`) and stays under the channel's
limit: the smaller of `DAILYPAPERS_CHAT_MAX_CHARS` and the service's own (Discord's 2,000
characters, Mattermost's 4,000...); a list that does not fit ends with a link to the rest.
Apprise turns the Markdown into the service's form (Slack's `<url|text>` links, say).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from dailypapers.chat.models import Channel
from dailypapers.feed import listings
from dailypapers.feed.models import DailyEntry
from dailypapers.library.models import Collection, CollectionItem
from dailypapers.notifications.models import Follow, Notification
from dailypapers.papers.models import Paper
from dailypapers.search import fulltext, grammar

DAILY, WEEKLY, NOTIFICATION, SEARCH, COLLECTION = (
    "daily",
    "weekly",
    "notification",
    "search",
    "collection",
)
ABSTRACT_CHARS = 300
SEARCH_DEPTH = 200  # best full-text matches of a followed search, from its day on


@dataclass(frozen=True)
class Message:
    title: str
    body: str  # Markdown


def link(paper: Paper) -> str:
    return f"{settings.SITE_URL}{paper.get_absolute_url()}"


def text(value: str) -> str:
    """Plain text safe inside Markdown link text and lists (no accidental markup)."""
    value = " ".join(value.split())
    for char in "\\[]*_`<>|":
        value = value.replace(char, f"\\{char}")
    return value


def paper_line(paper: Paper, number: int | None = None, votes: bool = False) -> str:
    start = f"{number}. " if number is not None else "- "
    line = f"{start}**[{text(paper.title)}]({link(paper)})**"
    if paper.authors:
        line += f" — {text(paper.authors_short)}"
    if votes and paper.upvotes:
        line += f" · ▲ {paper.upvotes}"
    return line


def fit(lines: list[str], limit: int, more: str) -> str:
    """As many lines as fit in `limit` characters, then `more` with `{n}`, the lines left out."""
    kept: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        left = len(lines) - i - 1
        tail = len(more.format(n=left)) + 2 if left and more else 0
        if kept and size + len(line) + 1 + tail > limit:
            break
        kept.append(line)
        size += len(line) + 1
    body = "\n".join(kept)
    left = len(lines) - len(kept)
    if left and more:
        body += "\n\n" + more.format(n=left)
    return body if len(body) <= limit else body[: limit - 1] + "…"


def entries_message(title: str, period: listings.Period, page: str, limit: int) -> Message | None:
    qs = listings.entries_in(period)
    ids = listings.trending_ids(qs, period, 0, settings.CHAT_SIZE)
    by_id = DailyEntry.objects.select_related("paper").in_bulk(ids)
    papers = [by_id[i].paper for i in ids if i in by_id]
    if not papers:
        return None
    lines = [paper_line(p, n, votes=True) for n, p in enumerate(papers, 1)]
    total = qs.count()
    more = f"[All {total} papers]({page})" if total > len(papers) else f"[On the site]({page})"
    body = fit(lines, limit - len(more) - 2, "") + f"\n\n{more}"
    return Message(title, body)


def daily(day: dt.date, limit: int) -> Message | None:
    period = listings.Period("day", day, day)
    page = settings.SITE_URL + reverse("papers:day", args=[day.isoformat()])
    title = f"Daily Papers — {listings.format_day(day, 'long')}"
    return entries_message(title, period, page, limit)


def weekly(slug: str, limit: int) -> Message | None:
    period = listings.parse_week(slug)
    page = settings.SITE_URL + reverse("papers:week", args=[slug])
    start, end = period.start, period.end
    title = (
        f"The week's top papers — week {slug[-2:]}, {start:%b} {start.day} – "
        f"{end:%b} {end.day}, {end.year}"
    )
    return entries_message(title, period, page, limit)


def about(paper: Paper, limit: int) -> str:
    lines = [f"**[{text(paper.title)}]({link(paper)})**"]
    if paper.authors:
        lines.append(text(paper.authors_short))
    abstract = " ".join(paper.abstract.split())
    if abstract:
        room = max(0, min(ABSTRACT_CHARS, limit - sum(len(x) + 1 for x in lines) - 4))
        if room > 40:
            short = abstract if len(abstract) <= room else abstract[: room - 1].rstrip() + "…"
            lines.append(f"> {text(short)}")
    return "\n".join(lines)[:limit]


def notification(pk: int, limit: int) -> Message | None:
    note = Notification.objects.select_related("paper", "author").filter(pk=pk).first()
    if note is None:
        return None
    by = note.author.name if note.author else "an author you follow"
    return Message(f"New paper by {by}", about(note.paper, limit))


def followed_search(follow_id: int, day: dt.date, limit: int) -> Message | None:
    follow = Follow.objects.filter(pk=follow_id, kind=Follow.QUERY).first()
    if follow is None:
        return None
    # The papers of the day that hold every word of the search: the search page ranks papers
    # holding some of its words, and the semantic leg's nearest ones, which are noise in a
    # message of new matches; so the words become required (one-word phrases), full text only.
    query = grammar.parse(f"{follow.value} since:{day.isoformat()}", day)
    query = replace(query, phrases=[*query.phrases, *query.words], words=[])
    if not (query.phrases or query.body or query.authors or query.categories):
        return None
    fulltext.ensure()
    ids = fulltext.FullTextIndex.get().search(query, limit=SEARCH_DEPTH, count=False).ids
    by_id = Paper.objects.in_bulk(ids)
    found = [by_id[pk] for pk in ids if pk in by_id]
    papers = [
        p for p in found if p.listed_on == day or (p.published_at and p.published_at.date() == day)
    ][: settings.CHAT_SIZE]
    if not papers:
        return None
    page = f"{settings.SITE_URL}{reverse('search:search')}?{urlencode({'q': follow.value})}"
    more = "[{n} more]" + f"({page})"
    body = fit([paper_line(p) for p in papers], limit - 40, more)
    title = f"New papers for your search “{follow.value[:80]}” — {listings.format_day(day)}"
    return Message(title, body)


def collection_addition(item_id: int, limit: int) -> Message | None:
    item = CollectionItem.objects.select_related("collection", "paper").filter(pk=item_id).first()
    if item is None:
        return None
    collection: Collection = item.collection
    body = about(item.paper, limit - 200)
    if item.note.strip():
        body += f"\n\nNote: {text(item.note[:150])}"
    url = settings.SITE_URL + collection.get_absolute_url()
    body += f"\n\n[The collection]({url})"
    return Message(f"Added to “{collection.name[:80]}”", body)


def build(channel: Channel, key: str, limit: int) -> Message | None:
    """The message of a delivery key; None when there is nothing (any more) to say."""
    kind, _, rest = key.partition(":")
    if kind == DAILY:
        return daily(listings.parse_day(rest), limit)
    if kind == WEEKLY:
        return weekly(rest, limit)
    if kind == NOTIFICATION:
        return notification(int(rest), limit)
    if kind == SEARCH:
        follow_id, _, day = rest.partition(":")
        return followed_search(int(follow_id), listings.parse_day(day), limit)
    if kind == COLLECTION:
        _, _, item_id = rest.partition(":")
        return collection_addition(int(item_id), limit)
    raise ValueError(f"unknown chat delivery key {key!r}")


def test_message() -> Message:
    return Message(
        "Daily Papers: a test message",
        f"This channel is connected to [Daily Papers]({settings.SITE_URL}/). "
        "It will receive what you chose.",
    )
