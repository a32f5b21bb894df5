"""Entries of the Daily feed written in bulk, from the records of a curated source."""

from __future__ import annotations

import datetime as dt

from dailypapers.core.bulk import upsert_rows
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.records import PaperRecord


def enter(pairs: list[tuple[int, PaperRecord]], origin: str = "") -> int:
    """Add feed entries (a paper already in the feed keeps its first entry: its day, submitter
    and origin); returns how many.

    `pairs` are (paper pk, its record), each record with a `feed_day`; `origin` is the base URL
    of the instance they were followed from, if any."""
    if not pairs:
        return 0
    in_feed = DailyEntry.objects.filter(paper_id__in=[pk for pk, _ in pairs])
    before = in_feed.count()
    upsert_rows(
        DailyEntry,
        ["paper", "day", "submitted_at", "submitter_name", "source", "origin", "featured"],
        (
            (
                pk,
                r.feed_day,
                _submitted_at(r),
                r.submitter_name,
                r.feed_source or DailyEntry.IMPORT,
                origin,
                False,
            )
            for pk, r in pairs
        ),
        conflict=["paper"],
    )
    return in_feed.count() - before


def _submitted_at(record: PaperRecord) -> dt.datetime:
    """The record's time of submission, or the start of its feed day (UTC)."""
    if record.submitted_at:
        return record.submitted_at
    assert record.feed_day is not None  # `enter` is given records with a feed day
    return dt.datetime.combine(record.feed_day, dt.time(), tzinfo=dt.UTC)
