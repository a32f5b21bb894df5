"""Records into the catalogue and, for a curated source's records, the Daily feed.

Every source writes through `upsert`: the catalogue's `papers.store.write`, then, in the same
transaction, the feed entries of records that carry a feed day (`feed/entries.py`) and the
promotion rules for the papers that are new (`feed/curation.py`). A followed source (the `hf`
source, an upstream instance) writes through `upsert_followed`, which keeps its votes and comment
counts on its own rows (`feed/upstream.py`) instead of writing them onto the papers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from django.db import transaction

from dailypapers.feed import curation, entries, upstream
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


@transaction.atomic
def upsert_followed(
    records: Sequence[PaperRecord],
    *,
    counts_origin: str,
    entry_origin: str = "",
    by_rules: bool = False,
) -> UpsertCounts:
    """Write a batch of a followed source's records (each with a feed day): as `upsert`, but the
    votes and comment counts they carry are stored as `counts_origin`'s (feed/upstream.py), and
    their new entries say `entry_origin` (an upstream instance's base URL; empty for `hf`).
    `by_rules`: only the papers the topics rule picks enter the feed (feed/curation.py)."""
    counts = {
        r.arxiv_id: (r.upvotes or 0, r.num_comments or 0)
        for r in records
        if r.arxiv_id and (r.upvotes is not None or r.num_comments is not None)
    }
    written = store.write(
        [dataclasses.replace(r, upvotes=None, num_comments=None) for r in records]
    )
    if by_rules:
        days = {pk: r.feed_day for pk, r in written.with_feed_day if r.feed_day}
        written.counts.entered_feed += curation.promote_followed(days, entry_origin)
    else:
        written.counts.entered_feed += entries.enter(written.with_feed_day, origin=entry_origin)
        written.counts.entered_feed += curation.promote_new(written.new_pks)
    pk_of = {r.arxiv_id: pk for pk, r in written.with_feed_day if r.arxiv_id}
    upstream.record(counts_origin, {pk_of[a]: c for a, c in counts.items() if a in pk_of})
    return written.counts
