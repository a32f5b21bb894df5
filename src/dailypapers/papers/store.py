"""Write paper records to the database: idempotent upserts by arXiv id, in few queries per batch.

Rules:
- A paper is keyed by its arXiv id without version. A record of an older version than the one
  stored is `stale`: it changes no metadata (it may still add a version row or a feed entry).
- An empty field in a record keeps the stored value (an arXiv dump has no code link; a Hugging
  Face row has no categories), so importing sources in any order converges to the same paper.
- A paper enters the feed once: the first day recorded is kept; later imports only refresh the
  imported vote and comment counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone

from dailypapers.papers.bulk import upsert_rows
from dailypapers.papers.models import DailyEntry, Paper, PaperCategory, PaperVersion
from dailypapers.papers.records import PaperRecord

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
WRITTEN_FIELDS = (*MERGED_FIELDS, "primary_category", "latest_version")
# A paper before any record is applied: each field's default.
EMPTY = {
    name: (list(default) if isinstance(default, list) else default)
    for name, default in {
        **dict.fromkeys(WRITTEN_FIELDS, ""),
        "authors": [],
        "categories": [],
        "ai_keywords": [],
        "published_at": None,
        "revised_at": None,
        "github_stars": None,
        "latest_version": 1,
        "withdrawn": False,
    }.items()
}


@dataclasses.dataclass
class UpsertCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0

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
    merged["primary_category"] = merged["categories"][0] if merged.get("categories") else ""
    merged["latest_version"] = max(record.version or 1, stored.get("latest_version") or 1)
    return merged


def _dedupe(records: Sequence[PaperRecord]) -> list[PaperRecord]:
    """One record per arXiv id: the highest version, the last one read among equals."""
    best: dict[str, PaperRecord] = {}
    for record in records:
        assert record.arxiv_id
        current = best.get(record.arxiv_id)
        if current is None or (record.version or 0) >= (current.version or 0):
            best[record.arxiv_id] = record
    return list(best.values())


@transaction.atomic
def upsert(records: Sequence[PaperRecord]) -> UpsertCounts:
    """Write a batch of records; returns how many papers were new, updated, unchanged or stale."""
    counts = UpsertCounts()
    with_id = _dedupe([r for r in records if r.arxiv_id])
    counts.unchanged += len([r for r in records if r.arxiv_id]) - len(with_id)
    for record in records:
        if not record.arxiv_id:
            counts += _upsert_by_title(record)
    if not with_id:
        return counts

    ids = [r.arxiv_id for r in with_id]
    stored = {
        row["arxiv_id"]: row
        for row in Paper.objects.filter(arxiv_id__in=ids).values("id", "arxiv_id", *WRITTEN_FIELDS)
    }
    now = timezone.now()
    to_write: list[list] = []
    category_changed: set[str] = set()
    for record in with_id:
        old = stored.get(record.arxiv_id)
        if old is None:
            counts.new += 1
            values = _merge(EMPTY, record)
            category_changed.add(record.arxiv_id)
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
                category_changed.add(record.arxiv_id)
        to_write.append([record.arxiv_id, *(values[name] for name in WRITTEN_FIELDS), now, now])

    upsert_rows(
        Paper,
        ["arxiv_id", *WRITTEN_FIELDS, "created_at", "updated_at"],
        to_write,
        conflict=["arxiv_id"],
        update=[*WRITTEN_FIELDS, "updated_at"],
    )
    pk_of = dict(Paper.objects.filter(arxiv_id__in=ids).values_list("arxiv_id", "id"))
    by_id = {r.arxiv_id: r for r in with_id}

    if category_changed:
        changed_pks = [pk_of[a] for a in category_changed]
        PaperCategory.objects.filter(paper_id__in=changed_pks).delete()
        upsert_rows(
            PaperCategory,
            ["paper", "category"],
            (
                (pk_of[a], code)
                for a in category_changed
                for code in dict.fromkeys(by_id[a].categories or _stored_categories(stored, a))
            ),
            conflict=["paper", "category"],
        )

    upsert_rows(
        PaperVersion,
        ["paper", "version", "submitted_at"],
        ((pk_of[r.arxiv_id], v, when) for r in with_id for v, when in r.versions),
        conflict=["paper", "version"],
    )

    _write_entries([(pk_of[r.arxiv_id], r) for r in with_id if r.day])
    return counts


def refresh_statistics() -> None:
    """Let the query planner see the new data after a bulk import."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _stored_categories(stored: dict, arxiv_id: str) -> list[str]:
    row = stored.get(arxiv_id)
    return row["categories"] if row else []


def _write_entries(pairs: list[tuple[int, PaperRecord]]) -> None:
    """Add feed entries (first day wins) and refresh imported counts where a record has them."""
    columns = ["paper", "day", "submitted_at", "submitter_name", "upvotes_imported"]
    columns += ["comments_imported", "upvotes_local", "comments_local", "featured"]
    plain, counted = [], []
    for pk, r in pairs:
        has_counts = r.upvotes is not None or r.num_comments is not None
        row = (pk, r.day, r.submitted_at, r.submitter_name, r.upvotes or 0, r.num_comments or 0)
        (counted if has_counts else plain).append((*row, 0, 0, False))
    upsert_rows(DailyEntry, columns, plain, conflict=["paper"])
    upsert_rows(
        DailyEntry,
        columns,
        counted,
        conflict=["paper"],
        update=["upvotes_imported", "comments_imported"],
    )


def _upsert_by_title(record: PaperRecord) -> UpsertCounts:
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
        paper.save()
        counts.updated += 1
    else:
        counts.unchanged += 1
    if record.day:
        _write_entries([(paper.pk, record)])
    return counts
