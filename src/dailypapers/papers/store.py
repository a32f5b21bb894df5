"""Write paper records to the database: idempotent upserts by arXiv id, in few queries per batch.

Rules:
- A paper is keyed by its arXiv id without version. A record of an older version than the one
  stored is `stale`: it changes no metadata (it may still add a version row or a feed entry).
- An empty field in a record keeps the stored value (an arXiv dump has no code link; a Hugging
  Face row has no categories), so importing sources in any order converges to the same paper.
- Votes and comments counted on another site (Hugging Face) are refreshed by every record that
  carries them; votes and comments made here are never touched.
- `listed_on`, the arXiv announcement day: a source that knows it (a listing, a dump's
  `listed_date`) sets it over an empty or estimated day; otherwise the first version's day (UTC)
  fills an empty one as the estimate.
- Only records of a curated source carry a feed day (`feed_day`). The catalogue does not keep
  the feed: `write` says which papers are new and which records carry a feed day, and ingestion
  (`ingest/catalogue.py`) puts them in the Daily feed (`feed/entries.py`, `feed/curation.py`) in
  the same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from dailypapers.core.bulk import upsert_rows
from dailypapers.papers import changes
from dailypapers.papers.models import Paper, PaperCategory, PaperVersion
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.text import main_affiliation, title_key

# Fields copied from a record to a Paper; an empty value keeps what is stored.
MERGED_FIELDS = (
    "title",
    "abstract",
    "authors",
    "categories",
    "published_at",
    "revised_at",
    "comment",
    "journal_ref",
    "doi",
    "code_url",
    "project_url",
    "github_stars",
    "organization",
    "ai_summary",
    "ai_keywords",
    "withdrawn",
)
# Record attribute -> Paper field, for the counts kept on another site (0 is a value here).
IMPORTED_COUNTS = {"upvotes": "upvotes_imported", "num_comments": "comments_imported"}
WRITTEN_FIELDS = (
    *MERGED_FIELDS,
    "affiliations",
    *IMPORTED_COUNTS.values(),
    "primary_category",
    "latest_version",
    "listed_on",
)
# A paper before any record is applied: each field's default.
EMPTY: dict[str, Any] = {
    **dict.fromkeys(WRITTEN_FIELDS, ""),
    "authors": [],
    "affiliations": [],
    "categories": [],
    "ai_keywords": [],
    "published_at": None,
    "revised_at": None,
    "github_stars": None,
    "latest_version": 1,
    "withdrawn": False,
    "upvotes_imported": 0,
    "comments_imported": 0,
    "listed_on": None,
}


@dataclasses.dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    entered_feed: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        total = UpsertCounts()
        total += self
        total += other
        return total


def _merge(stored: dict, record: PaperRecord) -> dict:
    """The field values a paper should have once `record` is applied on top of `stored`."""
    merged = dict(stored)
    for name in MERGED_FIELDS:
        value = getattr(record, name)
        if value not in (None, "", []):
            merged[name] = value
    for attribute, name in IMPORTED_COUNTS.items():
        value = getattr(record, attribute)
        if value is not None:
            merged[name] = value
    merged["affiliations"] = _affiliations(merged, record)
    if not merged["organization"]:
        merged["organization"] = main_affiliation(merged["affiliations"])[:200]
    merged["primary_category"] = merged["categories"][0] if merged.get("categories") else ""
    merged["latest_version"] = max(record.version or 1, stored.get("latest_version") or 1)
    merged["listed_on"] = _listed_on(stored.get("listed_on"), record, merged["published_at"])
    return merged


def _affiliations(merged: dict, record: PaperRecord) -> list[list[str]]:
    """The record's affiliations if it has any; else the stored ones while they still match the
    authors one for one (a source without affiliations never erases them)."""
    if any(record.affiliations) and len(record.affiliations) == len(merged["authors"]):
        return record.affiliations
    stored = merged.get("affiliations") or []
    return stored if len(stored) == len(merged["authors"]) else []


def _listed_on(
    stored: dt.date | None, record: PaperRecord, published: dt.datetime | None
) -> dt.date | None:
    estimate = published.astimezone(dt.UTC).date() if published else None
    if record.listed_on and (stored is None or stored == estimate):
        return record.listed_on
    return stored or estimate


def _dedupe(records: Sequence[PaperRecord]) -> dict[str, PaperRecord]:
    """One record per arXiv id (the keys): the highest version; records of one version are
    merged, a later one's non-empty fields over an earlier one's (as two batches would have
    merged them)."""
    best: dict[str, PaperRecord] = {}
    for record in records:
        assert record.arxiv_id
        current = best.get(record.arxiv_id)
        if current is None or (record.version or 0) > (current.version or 0):
            best[record.arxiv_id] = record
        elif (record.version or 0) == (current.version or 0):
            best[record.arxiv_id] = dataclasses.replace(
                current,
                **{
                    f.name: value
                    for f in dataclasses.fields(record)
                    if (value := getattr(record, f.name)) not in (None, "", [])
                },
            )
    return best


@dataclasses.dataclass
class Written:
    """What `write` did: the counts, the papers it created, and the papers whose record carries
    a feed day (for the Daily feed, which the catalogue does not keep)."""

    counts: UpsertCounts = dataclasses.field(default_factory=UpsertCounts)
    new_pks: list[int] = dataclasses.field(default_factory=list)
    with_feed_day: list[tuple[int, PaperRecord]] = dataclasses.field(default_factory=list)


def upsert(records: Sequence[PaperRecord]) -> UpsertCounts:
    """Write a batch of records into the catalogue; returns how many papers were new, updated,
    unchanged or stale."""
    return write(records).counts


@transaction.atomic
def write(records: Sequence[PaperRecord]) -> Written:
    """Write a batch of records into the catalogue (see the module's rules)."""
    written = Written()
    counts = written.counts
    # The triggers log what changes: tell this process's indexes once it commits.
    changes.announce()
    with_id = _dedupe([r for r in records if r.arxiv_id])
    counts.unchanged += len([r for r in records if r.arxiv_id]) - len(with_id)
    for record in records:
        if not record.arxiv_id:
            pk, by_title = _upsert_by_title(record)
            counts += by_title
            if record.feed_day:
                written.with_feed_day.append((pk, record))
    if not with_id:
        return written

    ids = list(with_id)
    stored = {
        row["arxiv_id"]: row
        for row in Paper.objects.filter(arxiv_id__in=ids).values("id", "arxiv_id", *WRITTEN_FIELDS)
    }
    now = timezone.now()
    to_write: list[list] = []
    category_changed: set[str] = set()
    new_ids: list[str] = []
    for arxiv_id, record in with_id.items():
        old = stored.get(arxiv_id)
        if old is None:
            counts.new += 1
            new_ids.append(arxiv_id)
            values = _merge(EMPTY, record)
            category_changed.add(arxiv_id)
        elif (record.version or 1) < (old["latest_version"] or 1):
            counts.stale += 1
            continue
        else:
            values = _merge(old, record)
            if all(values[name] == old[name] for name in WRITTEN_FIELDS):
                counts.unchanged += 1
                continue
            counts.updated += 1
            if values["categories"] != old["categories"]:
                category_changed.add(arxiv_id)
        row = [arxiv_id, *(values[name] for name in WRITTEN_FIELDS)]
        to_write.append([*row, title_key(values["title"]), now, now])

    upsert_rows(
        Paper,
        ["arxiv_id", *WRITTEN_FIELDS, "title_key", "created_at", "updated_at"],
        to_write,
        conflict=["arxiv_id"],
        update=[*WRITTEN_FIELDS, "title_key", "updated_at"],
    )
    pk_of = dict(Paper.objects.filter(arxiv_id__in=ids).values_list("arxiv_id", "id"))

    if category_changed:
        changed_pks = [pk_of[a] for a in category_changed]
        PaperCategory.objects.filter(paper_id__in=changed_pks).delete()
        upsert_rows(
            PaperCategory,
            ["paper", "category"],
            (
                (pk_of[a], code)
                for a in category_changed
                for code in dict.fromkeys(with_id[a].categories or _stored_categories(stored, a))
            ),
            conflict=["paper", "category"],
        )

    upsert_rows(
        PaperVersion,
        ["paper", "version", "submitted_at"],
        ((pk_of[a], v, when) for a, r in with_id.items() for v, when in r.versions),
        conflict=["paper", "version"],
    )

    written.with_feed_day += [(pk_of[a], r) for a, r in with_id.items() if r.feed_day]
    written.new_pks += [pk_of[a] for a in new_ids]
    return written


def refresh_statistics() -> None:
    """Let the query planner see the new data after a bulk import."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _stored_categories(stored: dict, arxiv_id: str) -> list[str]:
    row = stored.get(arxiv_id)
    return row["categories"] if row else []


def _upsert_by_title(record: PaperRecord) -> tuple[int, UpsertCounts]:
    """A paper without an arXiv id (the demo set has some): matched by exact title."""
    counts = UpsertCounts()
    paper = Paper.objects.filter(arxiv_id__isnull=True, title=record.title).first()
    stored = {name: getattr(paper, name) for name in WRITTEN_FIELDS} if paper else {}
    values = _merge({**EMPTY, **stored}, record)
    if paper is None:
        paper = Paper.objects.create(**values)
        counts.new += 1
    elif any(values[name] != stored[name] for name in WRITTEN_FIELDS):
        for name, value in values.items():
            setattr(paper, name, value)
        paper.save(update_fields=[*values, "updated_at"])
        counts.updated += 1
    else:
        counts.unchanged += 1
    return paper.pk, counts
