"""Following authors, categories and searches; the "Following" page lists their newest papers."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction

from dailypapers.authors import names
from dailypapers.authors import services as service
from dailypapers.authors.models import Author, PaperAuthor
from dailypapers.feed import listings
from dailypapers.notifications.models import Follow
from dailypapers.papers.categories import category_name
from dailypapers.papers.models import Paper
from dailypapers.search.services import search

MAX_FOLLOWS = 200
PER_GROUP = 10


def clean(kind: str, value: str) -> str:
    """The value to store for a follow of this kind, or ValueError with a message for people."""
    value = " ".join(value.split())[:300]
    if kind == Follow.AUTHOR:
        author = service.resolve(value) or service.resolve(names.key(value))
        if author is None:
            raise ValueError("No paper here has that author.")
        return author.key
    if kind == Follow.CATEGORY:
        try:
            found = listings.parse_category(value)
            if not found:
                raise ValueError("Choose a category, such as cs.LG.")
            return found
        except listings.FeedError as exc:
            raise ValueError(str(exc)) from None
    if kind == Follow.QUERY:
        if not value.strip():
            raise ValueError("Follow a search with some words in it.")
        return value
    raise ValueError("Follow an author, a category or a search.")


def add(user: User, kind: str, value: str) -> Follow:
    if Follow.objects.filter(user=user).count() >= MAX_FOLLOWS:
        raise ValueError(f"You follow {MAX_FOLLOWS} things already; unfollow some first.")
    try:
        with transaction.atomic():
            return Follow.objects.create(user=user, kind=kind, value=value)
    except IntegrityError:
        return Follow.objects.get(user=user, kind=kind, value=value)


def is_following(user: User | AnonymousUser, kind: str, value: str) -> bool:
    if not user.is_authenticated:
        return False
    return Follow.objects.filter(user=user, kind=kind, value=value).exists()


def label(kind: str, value: str) -> str:
    if kind == Follow.AUTHOR:
        author = Author.objects.filter(key=value).first()
        return author.name if author else value
    if kind == Follow.CATEGORY:
        return f"{value} ({category_name(value)})"
    return f"the search “{value}”"


def _papers_of(follow: Follow) -> list[Paper]:
    recent = Paper.objects.select_related("entry")
    if follow.kind == Follow.AUTHOR:
        author = Author.objects.filter(key=follow.value).first()
        if author is None:
            return []
        forms = [author.pk, *Author.objects.filter(merged_into=author).values_list("pk", flat=True)]
        chosen = recent.filter(
            pk__in=PaperAuthor.objects.filter(author_id__in=forms).values("paper_id")
        )
    elif follow.kind == Follow.CATEGORY:
        chosen = recent.filter(category_links__category=follow.value)
    else:
        # The best matches, newest first (a search's newest papers are often poor matches).
        found = search(follow.value, limit=PER_GROUP * 3, count=False).papers
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(found, key=lambda p: p.published_at or oldest, reverse=True)[:PER_GROUP]
    return list(chosen.order_by("-published_at", "-pk")[:PER_GROUP])


def recent(user: User) -> list[tuple[Follow, list[Paper]]]:
    """Each follow of the user with its newest papers (PER_GROUP of them)."""
    return [(follow, _papers_of(follow)) for follow in Follow.objects.filter(user=user)]
