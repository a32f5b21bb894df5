"""RSS 2.0, Atom and JSON Feed 1.1 feeds (Django syndication) of the listings
(papers/listings.py).

The Daily feed's latest day, its trending window and a category of it; "New on arXiv" per
category (the catalogue's newest papers); a search.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import IO, Any, TypeVar, cast

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed, rfc3339_date

from dailypapers.feed import listings
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper
from dailypapers.papers.text import one_line, strip_controls
from dailypapers.search.grammar import MAX_CHARS as MAX_QUERY_CHARS
from dailypapers.search.services import search

ITEMS = 50
AUTHORS = 10  # an item names the first ten


def as_text(text: str) -> str:
    """Text for an element that feed readers render as HTML (RSS `description`, Atom `summary`
    type="html"): escaped once more, so markup in an abstract shows as the characters it is."""
    return html.escape(strip_controls(text), quote=False)


class PaperFeed(Feed):
    """Items are papers (with their feed entry when they have one).

    Every text is stripped of control characters (XML 1.0 cannot carry them: one such title made
    a whole feed fail); abstracts and descriptions are sent as text, not as markup.
    """

    feed_type = Rss201rev2Feed
    description_template = None

    def item_title(self, paper: Paper) -> str:
        return one_line(paper.title)

    def item_description(self, paper: Paper) -> str:
        return as_text(paper.abstract)

    def item_link(self, paper: Paper) -> str:
        return paper.get_absolute_url()

    def item_guid(self, paper: Paper) -> str:
        return f"dailypapers:{paper.key}"

    item_guid_is_permalink = False

    def item_author_name(self, paper: Paper) -> str:
        names = ", ".join(paper.authors[:AUTHORS])
        names += " et al." if len(paper.authors) > AUTHORS else ""
        return one_line(names)

    def item_pubdate(self, paper: Paper) -> dt.datetime | None:
        entry = getattr(paper, "entry", None)
        return entry.submitted_at if entry else paper.published_at

    def item_updateddate(self, paper: Paper) -> dt.datetime | None:
        return paper.revised_at or self.item_pubdate(paper)

    def item_categories(self, paper: Paper) -> list[str]:
        return [one_line(code) for code in paper.categories]

    def item_enclosures(self, paper: Paper) -> list:
        return []


def _papers(entries: list[DailyEntry]) -> list[Paper]:
    for entry in entries:
        entry.paper.entry = entry  # reuse the loaded entry instead of one query per item
    return [entry.paper for entry in entries]


class DailyFeed(PaperFeed):
    title = "Daily Papers"
    description = "The latest day's papers picked by the community, most upvoted first."

    def link(self) -> str:
        return reverse("papers:home")

    def items(self) -> list[Paper]:
        day = listings.latest_day(listings.today()) or listings.today()
        period = listings.Period("day", day, day)
        return _papers(listings.listing(period, sort="votes", page_size=ITEMS).entries)


class TrendingFeed(PaperFeed):
    title = "Daily Papers: trending"
    description = "The Daily feed's papers with votes, decayed by age, over the last days."

    def link(self) -> str:
        return reverse("papers:trending")

    def items(self) -> list[Paper]:
        period = listings.trending_period()
        return _papers(listings.listing(period, sort="trending", page_size=ITEMS).entries)


class _CategoryMixin:
    def get_object(self, request: HttpRequest, category: str) -> str:
        try:
            return listings.parse_category(category)
        except listings.FeedError as exc:
            raise Http404(str(exc)) from None


class CategoryFeed(_CategoryMixin, PaperFeed):
    def title(self, category: str) -> str:
        return f"Daily Papers: {category}"

    def description(self, category: str) -> str:
        return f"The newest papers of {category} in the Daily feed."

    def link(self, category: str) -> str:
        return f"{reverse('papers:home')}?category={category}"

    def items(self, category: str) -> list[Paper]:
        data = listings.listing(
            listings.ALL_TIME, sort="newest", category=category, page_size=ITEMS
        )
        return _papers(data.entries)


class ArxivFeed(_CategoryMixin, PaperFeed):
    def title(self, category: str) -> str:
        return f"New on arXiv: {category}"

    def description(self, category: str) -> str:
        return f"Every paper of {category} catalogued here, newest announcement first."

    def link(self, category: str) -> str:
        return f"{reverse('papers:arxiv')}?category={category}"

    def item_pubdate(self, paper: Paper) -> dt.datetime | None:
        return paper.published_at

    def items(self, category: str) -> list[Paper]:
        return listings.newest_listed(category, limit=200)


class SearchFeed(PaperFeed):
    def get_object(self, request: HttpRequest) -> str:
        query = request.GET.get("q", "").strip()
        if not query:
            raise Http404("Give a search with ?q=...")
        return query[:MAX_QUERY_CHARS]

    def title(self, query: str) -> str:
        return one_line(f"Daily Papers: search for {query}")

    def description(self, query: str) -> str:
        return as_text(f"Papers matching “{query}”.")

    def link(self, query: str) -> str:
        return reverse("papers:home")

    def items(self, query: str) -> list[Paper]:
        return search(query, limit=ITEMS, count=False).papers


_Feed = TypeVar("_Feed", bound=PaperFeed)


def atom(feed_class: type[_Feed]) -> type[_Feed]:
    """The same feed in Atom 1.0 (a subclass)."""
    return cast(
        "type[_Feed]", type(f"Atom{feed_class.__name__}", (feed_class,), {"feed_type": Atom1Feed})
    )


class JsonFeed(SyndicationFeed):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1): what Django's syndication views give
    an RSS or Atom writer, written as JSON. An item's `content_text` is its description as
    plain text (JSON carries any character, and readers show `content_text` as it is)."""

    content_type = "application/feed+json; charset=utf-8"
    VERSION = "https://jsonfeed.org/version/1.1"

    def write(self, outfile: IO[Any], encoding: str) -> None:
        feed = self.feed
        document: dict[str, Any] = {
            "version": self.VERSION,
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed["language"] or None,
            "items": [self._item(item) for item in self.items],
        }
        outfile.write(json.dumps({k: v for k, v in document.items() if v is not None}))

    @staticmethod
    def _item(item: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": item["unique_id"] or item["link"],
            "url": item["link"],
            "title": item["title"],
            "content_text": item["description"] or "",
        }
        if item["pubdate"]:
            found["date_published"] = rfc3339_date(item["pubdate"])
        if item["updateddate"]:
            found["date_modified"] = rfc3339_date(item["updateddate"])
        names = item.get("author_names") or ([item["author_name"]] if item["author_name"] else [])
        if names:
            found["authors"] = [{"name": name} for name in names]
        if item["categories"]:
            found["tags"] = list(item["categories"])
        return found


class _JsonVariant:
    feed_type = JsonFeed

    def item_description(self, paper: Paper) -> str:
        return strip_controls(paper.abstract).strip()  # plain text: JSON needs no escaping for HTML

    def item_extra_kwargs(self, paper: Paper) -> dict[str, Any]:
        return {"author_names": [one_line(name) for name in paper.authors[:AUTHORS]]}


def json_feed(feed_class: type[_Feed]) -> type[_Feed]:
    """The same feed in JSON Feed 1.1 (a subclass)."""
    return cast("type[_Feed]", type(f"Json{feed_class.__name__}", (_JsonVariant, feed_class), {}))
