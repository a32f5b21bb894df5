"""RSS 2.0 and Atom feeds (Django syndication): daily, trending, a category, a search."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from dailypapers.papers import feeds
from dailypapers.papers.models import DailyEntry, Paper
from dailypapers.search.grammar import MAX_CHARS as MAX_QUERY_CHARS
from dailypapers.search.service import search

ITEMS = 50


class PaperFeed(Feed):
    """Items are papers (with their feed entry when they have one)."""

    feed_type = Rss201rev2Feed
    description_template = None

    def item_title(self, paper: Paper) -> str:
        return paper.title

    def item_description(self, paper: Paper) -> str:
        return paper.abstract

    def item_link(self, paper: Paper) -> str:
        return paper.get_absolute_url()

    def item_guid(self, paper: Paper) -> str:
        return f"dailypapers:{paper.key}"

    item_guid_is_permalink = False

    def item_author_name(self, paper: Paper) -> str:
        return ", ".join(paper.authors[:10]) + (" et al." if len(paper.authors) > 10 else "")

    def item_pubdate(self, paper: Paper) -> dt.datetime | None:
        entry = getattr(paper, "entry", None)
        return entry.submitted_at if entry else paper.published_at

    def item_updateddate(self, paper: Paper) -> dt.datetime | None:
        return paper.revised_at or self.item_pubdate(paper)

    def item_categories(self, paper: Paper) -> list[str]:
        return paper.categories

    def item_enclosures(self, paper: Paper) -> list:
        return []


def _papers(entries: list[DailyEntry]) -> list[Paper]:
    for entry in entries:
        entry.paper.entry = entry  # reuse the loaded entry instead of one query per item
    return [entry.paper for entry in entries]


class DailyFeed(PaperFeed):
    title = "Daily Papers"
    description = "The latest day's papers, most upvoted first."

    def link(self) -> str:
        return reverse("papers:home")

    def items(self) -> list[Paper]:
        day = feeds.latest_day(feeds.today())
        entries = DailyEntry.objects.filter(day=day).select_related("paper")
        return _papers(list(entries.order_by("-upvotes", "-submitted_at", "id")[:ITEMS]))


class TrendingFeed(PaperFeed):
    title = "Daily Papers: trending"
    description = "Votes decayed by age over the last days."

    def link(self) -> str:
        return reverse("papers:trending")

    def items(self) -> list[Paper]:
        period = feeds.trending_period()
        ids = feeds.trending_ids(feeds.entries_in(period), period, 0, ITEMS)
        by_id = DailyEntry.objects.select_related("paper").in_bulk(ids)
        return _papers([by_id[i] for i in ids])


class CategoryFeed(PaperFeed):
    def get_object(self, request: HttpRequest, category: str) -> str:
        try:
            return feeds.parse_category(category)
        except feeds.FeedError as exc:
            raise Http404(str(exc)) from None

    def title(self, category: str) -> str:
        return f"Daily Papers: {category}"

    def description(self, category: str) -> str:
        return f"The newest papers of {category} in the feed."

    def link(self, category: str) -> str:
        return f"{reverse('papers:home')}?category={category}"

    def items(self, category: str) -> list[Paper]:
        entries = DailyEntry.objects.filter(paper__category_links__category=category)
        ordered = entries.select_related("paper").order_by("-day", "-upvotes", "-id")
        return _papers(list(ordered[:ITEMS]))


class SearchFeed(PaperFeed):
    def get_object(self, request: HttpRequest) -> str:
        query = request.GET.get("q", "").strip()
        if not query:
            raise Http404("Give a search with ?q=...")
        return query[:MAX_QUERY_CHARS]

    def title(self, query: str) -> str:
        return f"Daily Papers: search for {query}"

    def description(self, query: str) -> str:
        return f"Papers matching “{query}”."

    def link(self, query: str) -> str:
        return reverse("papers:home")

    def items(self, query: str) -> list[Paper]:
        return search(query, limit=ITEMS, count=False).papers


def atom(feed_class: type[PaperFeed]) -> type[PaperFeed]:
    """The same feed in Atom 1.0."""
    return type(f"Atom{feed_class.__name__}", (feed_class,), {"feed_type": Atom1Feed})
