"""What an author page shows, read from the author index in a few indexed queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min, Q, QuerySet, Sum

from dailypapers.authors import names
from dailypapers.authors.models import (
    Author,
    Claim,
    Membership,
    Organization,
    PaperAuthor,
    PaperOrganization,
)
from dailypapers.papers.models import Paper, PaperCategory

PAGE_SIZE = 20
CO_AUTHORS = 12
CATEGORIES = 8


@dataclass
class AuthorPage:
    author: Author
    forms: list[Author]  # this author and the written forms merged into it
    papers: list[Paper]
    total: int
    page: int
    pages: int
    first: dt.date | None = None
    last: dt.date | None = None
    upvotes: int = 0
    co_authors: list[tuple[Author, int]] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)
    similar: list[tuple[Author, int]] = field(default_factory=list)  # may be the same person


def _newest_page(papers: QuerySet[Paper], total: int, page: int) -> tuple[int, int, list[Paper]]:
    """One page of papers, newest first: the page (clamped), the number of pages, the papers."""
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    newest = papers.select_related("entry").order_by("-published_at", "-pk")
    return page, pages, list(newest[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])


def _day(when: dt.datetime | None) -> dt.date | None:
    return when.date() if when else None


def resolve(key: str) -> Author | None:
    """The author of a page address, following merges (at most a few hops)."""
    author = Author.objects.filter(key=key[: names.MAX_LENGTH]).first()
    for _ in range(5):
        if author is None or author.merged_into_id is None:
            return author
        author = Author.objects.filter(pk=author.merged_into_id).first()
    return author


def author_page(author: Author, page: int = 1) -> AuthorPage:
    forms = [author, *Author.objects.filter(merged_into=author)]
    form_ids = [a.pk for a in forms]
    links = PaperAuthor.objects.filter(author_id__in=form_ids)
    paper_ids = Paper.objects.filter(author_links__in=links).values("pk")
    papers = Paper.objects.filter(pk__in=paper_ids)
    stats = papers.aggregate(
        total=Count("pk"),
        first=Min("published_at"),
        last=Max("published_at"),
        first_listed=Min("listed_on"),
        last_listed=Max("listed_on"),
        votes=Sum("upvotes"),
    )
    total = stats["total"]
    page, pages, shown = _newest_page(papers, total, page)
    co = (
        PaperAuthor.objects.filter(paper_id__in=paper_ids)
        .exclude(author_id__in=form_ids)
        .values("author_id", "author__name")
        .annotate(n=Count("paper_id", distinct=True))
        .order_by("-n", "author__name")[:CO_AUTHORS]
    )
    co_by = Author.objects.in_bulk([row["author_id"] for row in co])
    categories = (
        PaperCategory.objects.filter(paper_id__in=paper_ids)
        .values("category")
        .annotate(n=Count("paper_id"))
        .order_by("-n", "category")[:CATEGORIES]
    )
    return AuthorPage(
        author=author,
        forms=forms,
        papers=shown,
        total=total,
        page=page,
        pages=pages,
        first=_day(stats["first"]) or stats["first_listed"],
        last=_day(stats["last"]) or stats["last_listed"],
        upvotes=stats["votes"] or 0,
        co_authors=[(co_by[row["author_id"]], row["n"]) for row in co if row["author_id"] in co_by],
        categories=[(row["category"], row["n"]) for row in categories],
        similar=similar_forms(author, form_ids),
    )


def _variant_keys(words: list[str]) -> set[str]:
    """Keys another spelling of these words could have: the words rotated (family name first
    or last), and given names cut to initials ("yann-lecun" -> "y-lecun")."""
    found = {"-".join(words[i:] + words[:i]) for i in range(1, len(words))}
    given, family = words[:-1], words[-1]
    for mask in range(1, 2 ** min(len(given), 4)):
        cut = [w[0] if mask >> i & 1 else w for i, w in enumerate(given)]
        found.add("-".join([*cut, family]))
    return found - {"-".join(words)}


def similar_forms(author: Author, exclude: list[int], limit: int = 10) -> list[tuple[Author, int]]:
    """Other written forms that could be this person ("Y. LeCun" for "Yann LeCun", "Zhang Wei"
    for "Wei Zhang"), with their paper counts: offered to merge, never merged by themselves."""
    mine = author.key.split("-")
    if len(mine) < 2 or len(mine) > 8:
        return []
    # Two indexed lookups (an OR of them would scan every author): the exact variants, and,
    # for a name with initials, the names of the same family starting with the same letter.
    queries = [Q(key__in=_variant_keys(mine))]
    if any(len(word) == 1 for word in mine[:-1]):
        queries.append(Q(family=names.family_name(mine), key__startswith=mine[0][0]))
    found = [
        other
        for query in queries
        for other in Author.objects.filter(query, merged_into=None).exclude(pk__in=exclude)[:200]
        if names.maybe_same(mine, other.key.split("-"))
    ]
    counts = dict(
        PaperAuthor.objects.filter(author__in=found)
        .values("author_id")
        .annotate(n=Count("paper_id"))
        .values_list("author_id", "n")
    )
    ranked = sorted(
        ((a, counts.get(a.pk, 0)) for a in found), key=lambda pair: (-pair[1], pair[0].key)
    )
    return ranked[:limit]


def merge(source: Author, target: Author) -> None:
    """Make `source` a written form of `target` (and whatever was merged into source too)."""
    root = resolve(target.key)  # the target, or the author it is merged into
    if source.pk == target.pk or (root is not None and root.pk == source.pk):
        raise ValueError("an author cannot be merged into itself")
    Author.objects.filter(merged_into=source).update(merged_into=target)
    source.merged_into = target
    source.save(update_fields=["merged_into"])


def unmerge(source: Author) -> None:
    source.merged_into = None
    source.save(update_fields=["merged_into"])


def claimed_by(forms: list[Author]) -> list:
    """The accounts with an accepted claim on one of these written forms (most claims first)."""
    counts = (
        Claim.objects.filter(author__in=forms, status=Claim.ACCEPTED)
        .values("user_id")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    users = get_user_model().objects.in_bulk([row["user_id"] for row in counts])
    return [users[row["user_id"]] for row in counts if row["user_id"] in users]


@dataclass
class OrganizationPage:
    organization: Organization
    papers: list[Paper]
    total: int
    page: int
    pages: int
    authors: list[tuple[Author, int]] = field(default_factory=list)
    members: list = field(default_factory=list)


def organization_page(org: Organization, page: int = 1) -> OrganizationPage:
    paper_ids = PaperOrganization.objects.filter(organization=org).values("paper_id")
    papers = Paper.objects.filter(pk__in=paper_ids)
    total = papers.count()
    page, pages, shown = _newest_page(papers, total, page)
    top = (
        PaperAuthor.objects.filter(paper_id__in=paper_ids)
        .values("author_id", "author__name")
        .annotate(n=Count("paper_id", distinct=True))
        .order_by("-n", "author__name")[:CO_AUTHORS]
    )
    by_id = Author.objects.in_bulk([row["author_id"] for row in top])
    accepted = org.members.filter(status=Membership.ACCEPTED).select_related("user")
    members = [m.user for m in accepted.order_by("created_at")]
    return OrganizationPage(
        org, shown, total, page, pages, [(by_id[r["author_id"]], r["n"]) for r in top], members
    )
