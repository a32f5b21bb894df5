"""The author index (`PaperAuthor`), derived from `Paper.authors` by following the change log.

Like every derived structure, it is fed from `papers/changes.py` rather than by calls from the
code that writes papers, so a bulk import pays nothing for it (145k papers: 5,984 papers/s with
the index derived afterwards, 3,485/s when the import wrote it; `benchmarks/people.py`).
`catch_up()` applies the changes since its cursor in batches; each batch's links and the cursor
are written in one transaction, so a crash repeats nothing and loses nothing. The worker runs it
every minute (`authors/tasks.py`); `dailypapers authors sync|rebuild` runs it by hand. A cursor
that cannot be followed (none yet, another database, behind the log's retention) rebuilds the
index from every paper.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from dailypapers.authors import names, orgs
from dailypapers.authors.models import (
    Author,
    AuthorIndex,
    Organization,
    PaperAuthor,
    PaperOrganization,
)
from dailypapers.authors.signals import authors_linked
from dailypapers.core.bulk import upsert_rows
from dailypapers.papers import changes
from dailypapers.papers.models import Paper

log = logging.getLogger(__name__)
BATCH = 2000
KINDS = changes.PaperChange.PAPER

key_of = functools.lru_cache(maxsize=500_000)(names.key)  # names recur across papers


def sync(paper_ids: Iterable[int]) -> int:
    """Rewrite the author links of these papers from their `authors`; returns links written."""
    ids = list(paper_ids)
    written = 0
    for start in range(0, len(ids), BATCH):
        written += _sync_batch(ids[start : start + BATCH])
    return written


def _sync_batch(ids: list[int], *, fresh: bool = False) -> int:
    rows = list(
        Paper.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "authors", "organization", "affiliations")
    )
    _sync_organizations(rows, ids, fresh)
    links: list[tuple[int, str, int]] = []  # paper, key, position
    first_name: dict[str, str] = {}
    for pk, authors, _, _ in rows:
        seen: set[str] = set()
        for position, name in enumerate(authors or []):
            if not isinstance(name, str):
                continue
            key = key_of(name)
            if not key or key in seen:
                continue
            seen.add(key)
            if key not in first_name or ("," in first_name[key] and "," not in name):
                first_name[key] = name.strip()[:300]  # "Yann LeCun" shows better than "LeCun, Yann"
            links.append((pk, key, position))
    upsert_rows(
        Author,
        ["key", "name", "family"],
        ((key, name, names.family_name(key.split("-"))[:100]) for key, name in first_name.items()),
        conflict=["key"],
    )
    id_of = dict(Author.objects.filter(key__in=list(first_name)).values_list("key", "pk"))
    before: set[tuple[int, int]] = set()
    if not fresh:
        links_now = PaperAuthor.objects.filter(paper_id__in=ids)
        before = set(links_now.values_list("paper_id", "author_id"))
        links_now.delete()
    upsert_rows(
        PaperAuthor,
        ["paper", "author", "position"],
        ((pk, id_of[key], position) for pk, key, position in links),
        conflict=["paper", "author"],
    )
    if not fresh:  # a rebuild tells no one: its links are not news
        pairs = {(pk, id_of[key]) for pk, key, _ in links} - before
        if pairs:
            authors_linked.send(sender=PaperAuthor, pairs=pairs)
    return len(links)


def _sync_organizations(rows: list, ids: list[int], fresh: bool) -> None:
    links: list[tuple[int, str]] = []
    first_name: dict[str, str] = {}
    for pk, _, organization, affiliations in rows:
        for key, name in orgs.of_paper(organization or "", affiliations).items():
            first_name.setdefault(key, name)
            links.append((pk, key))
    upsert_rows(Organization, ["key", "name"], first_name.items(), conflict=["key"])
    id_of = dict(Organization.objects.filter(key__in=list(first_name)).values_list("key", "pk"))
    if not fresh:
        PaperOrganization.objects.filter(paper_id__in=ids).delete()
    upsert_rows(
        PaperOrganization,
        ["paper", "organization"],
        ((pk, id_of[key]) for pk, key in links),
        conflict=["paper", "organization"],
    )


Progress = Callable[[int, int], None]


def rebuild(progress: Progress = lambda done, total: None) -> int:
    """Derive the whole index again; returns how many papers were indexed."""
    with transaction.atomic():
        state, _ = AuthorIndex.objects.select_for_update().get_or_create(pk=1)
        cursor = changes.start()  # before reading: what commits meanwhile is applied after
        PaperAuthor.objects.all().delete()
        PaperOrganization.objects.all().delete()
        ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            _sync_batch(ids[start : start + BATCH], fresh=True)
            progress(min(start + BATCH, len(ids)), len(ids))
        state.cursor = cursor.as_json()
        state.rebuilt_at = state.applied_at = timezone.now()
        state.save()
    return len(ids)


def catch_up(budget_seconds: float | None = None, progress: Progress = lambda d, t: None) -> int:
    """Apply the change log to the index; returns how many papers were (re)indexed. Two
    processes catching up at once take turns on the state row: each batch is applied once."""
    started = time.monotonic()
    applied = 0
    while True:
        with transaction.atomic():
            state, _ = AuthorIndex.objects.select_for_update().get_or_create(pk=1)
            batch = changes.read(changes.Cursor.from_json(state.cursor), kinds=KINDS)
            if not batch.stale:
                sync(batch.paper_ids)
                state.cursor = batch.cursor.as_json()
                state.applied_at = timezone.now()
                state.save()
        if batch.stale:
            log.info("rebuilding the author index: %s", batch.reason or "there is none yet")
            return applied + rebuild(progress)
        applied += len(set(batch.paper_ids))
        if not batch.more:
            return applied
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            return applied
