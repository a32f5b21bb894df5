"""A collection's papers as RSS 2.0, Atom and JSON Feed (public collections; a private one to
its owner)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from dailypapers.library import collections
from dailypapers.library.models import Collection
from dailypapers.papers.models import Paper
from dailypapers.papers.text import one_line
from dailypapers.web.syndication import PaperFeed, atom, json_feed
from dailypapers.web.views.library import visible


class CollectionFeed(PaperFeed):
    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().__call__(request, *args, **kwargs)
        if not getattr(request, "_collection_public", False):  # a private one: its owner's only
            patch_cache_control(response, private=True, no_store=True)
        return response

    def get_object(self, request: HttpRequest, pk: int) -> Collection:
        found = visible(request, pk)
        # For __call__ (the feed object is shared by every request: the request carries it).
        request._collection_public = found.public  # type: ignore[attr-defined]
        return found

    def title(self, collection: Collection) -> str:
        return f"{one_line(collection.name)} — a collection by {collection.owner.username}"

    def description(self, collection: Collection) -> str:
        return one_line(collection.description) or f"The papers of “{one_line(collection.name)}”."

    def link(self, collection: Collection) -> str:
        return collection.get_absolute_url()

    def items(self, collection: Collection) -> list[Paper]:
        return collections.papers_of(collection)[::-1][:100]  # the newest additions first


def atom_collection() -> type[CollectionFeed]:
    return atom(CollectionFeed)


def json_collection() -> type[CollectionFeed]:
    return json_feed(CollectionFeed)
