"""Votes and comment counts pulled from the sources a site follows, kept apart from its own.

Each followed source (another dailypapers instance of `DAILYPAPERS_UPSTREAMS`, or Hugging Face
for the `hf` source) has one `UpstreamCount` row per paper: a pull replaces that row, so pulling
the same source again never adds its votes twice. A paper's imported counts
(`Paper.upvotes_imported`, `comments_imported`) are the largest of its rows, not their sum: an
instance that follows Hugging Face repeats Hugging Face's votes in its own, and a sum would count
them once for every instance that passes them on. The votes cast here (`upvotes_local`) are
counted apart and a pull never touches them; `Paper.upvotes` is the two added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db.models import Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from dailypapers.core.bulk import upsert_rows
from dailypapers.feed.models import UpstreamCount
from dailypapers.papers.models import Paper


def record(
    origin: str, counts: Mapping[int, tuple[int, int]], now: dt.datetime | None = None
) -> int:
    """Store one source's (upvotes, comments) of papers by pk and recompute their imported
    counts; returns how many papers were updated."""
    if not counts:
        return 0
    now = now or timezone.now()
    upsert_rows(
        UpstreamCount,
        ["paper", "origin", "upvotes", "comments", "pulled_at"],
        ((pk, origin, up, comments, now) for pk, (up, comments) in counts.items()),
        conflict=["paper", "origin"],
        update=["upvotes", "comments", "pulled_at"],
    )
    return combine(list(counts))


def combine(paper_ids: list[int]) -> int:
    """Set the papers' imported counts to the largest of their sources' rows."""
    rows = UpstreamCount.objects.filter(paper=OuterRef("pk")).values("paper")

    def largest(field: str) -> Coalesce:
        return Coalesce(Subquery(rows.annotate(top=Max(field)).values("top")[:1]), Value(0))

    changed = 0
    for start in range(0, len(paper_ids), 500):
        chunk = paper_ids[start : start + 500]
        changed += Paper.objects.filter(pk__in=chunk).update(
            upvotes_imported=largest("upvotes"), comments_imported=largest("comments")
        )
    return changed


def counts_of(paper: Paper) -> list[UpstreamCount]:
    """The paper's counts on each followed source, most upvoted first (for its page)."""
    return list(paper.upstream_counts.order_by("-upvotes", "origin"))
