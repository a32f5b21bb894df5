"""An author's newest papers as RSS 2.0, Atom and JSON Feed."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from dailypapers.authors import services as service
from dailypapers.authors.models import Author, PaperAuthor
from dailypapers.papers.models import Paper
from dailypapers.papers.text import one_line
from dailypapers.web.syndication import PaperFeed, atom, json_feed

ITEMS = 50


class AuthorFeed(PaperFeed):
    def get_object(self, request: HttpRequest, key: str) -> Author:
        found = service.resolve(key)
        if found is None:
            raise Http404("No such author.")
        return found

    def title(self, author: Author) -> str:
        return f"Papers by {one_line(author.name)}"

    def description(self, author: Author) -> str:
        return f"The newest papers catalogued here with {one_line(author.name)} as an author."

    def link(self, author: Author) -> str:
        return author.get_absolute_url()

    def items(self, author: Author) -> list[Paper]:
        forms = [author.pk, *Author.objects.filter(merged_into=author).values_list("pk", flat=True)]
        ids = PaperAuthor.objects.filter(author_id__in=forms).values("paper_id")
        return list(
            Paper.objects.filter(pk__in=ids)
            .select_related("entry")
            .order_by("-published_at", "-pk")[:ITEMS]
        )


def atom_author() -> AuthorFeed:
    return atom(AuthorFeed)()


def json_author() -> AuthorFeed:
    return json_feed(AuthorFeed)()
