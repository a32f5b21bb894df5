"""Records into the catalogue and, for a curated source's records, the Daily feed.

Every source writes through `upsert`: the catalogue's `papers.store.write`, then, in the same
transaction, the feed entries of records that carry a feed day (`feed/entries.py`) and the
promotion rules for the papers that are new (`feed/curation.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from dailypapers.feed import curation, entries
from dailypapers.papers import store
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.store import UpsertCounts


@transaction.atomic
def upsert(records: Sequence[PaperRecord]) -> UpsertCounts:
    """Write a batch of records; returns how many papers were new, updated, unchanged or stale,
    and how many entered the Daily feed."""
    written = store.write(records)
    written.counts.entered_feed += entries.enter(written.with_feed_day)
    written.counts.entered_feed += curation.promote_new(written.new_pks)
    return written.counts
