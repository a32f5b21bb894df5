"""Hugging Face's paper JSON, built from our rows (shared/research/hf_papers.md, sections 2 and 3).

Compatibility choices for the official `huggingface_hub` client:
- timestamps are `YYYY-MM-DDTHH:MM:SS.mmmZ` (its parser accepts nothing else);
- `ai_summary`, `ai_keywords`, `githubRepo`, `githubStars`, `projectPage`, `organization`
  and `upvotes` are repeated at the top level of daily and search items, where the client reads
  them;
- user objects carry both `user` and `name` (the client reads `user`; HF's `submittedBy` has
  `name`);
- the top-level `publishedAt` of an item is the time it entered the feed (the client calls it
  `submitted_at`), `paper.publishedAt` the time v1 appeared on arXiv.
Ids HF keeps as object ids (`_id`, `discussionId`) are derived stably from our keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.urls import reverse

from dailypapers.feed.models import DailyEntry
from dailypapers.ingest import hub
from dailypapers.papers.ids import id_month
from dailypapers.papers.models import Paper


def hf_time(value: dt.datetime | dt.date | None) -> str | None:
    """A time as the HF client parses it; a day is its midnight, UTC."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def object_id(*parts: object) -> str:
    """A 24-hex id, like HF's Mongo object ids, stable for the same parts."""
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:24]


def user_object(name: str, key: object) -> dict[str, Any]:
    return {
        "_id": object_id("user", key),
        "user": name,
        "name": name,
        "fullname": name,
        "avatarUrl": "",
        "isPro": False,
        "type": "user",
    }


def _submitter(entry: DailyEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    if entry.submitted_by is not None:  # no query when there is none (submitted_by_id)
        return user_object(entry.submitted_by.get_username(), entry.submitted_by_id)
    if entry.submitter_name:
        return user_object(entry.submitter_name, entry.submitter_name)
    return None


def _organization(paper: Paper) -> dict[str, Any] | None:
    if not paper.organization:
        return None
    return {
        "_id": object_id("org", paper.organization),
        "name": paper.organization,
        "fullname": paper.organization,
    }


def published_time(paper: Paper, entry: DailyEntry | None) -> dt.datetime | dt.date:
    """When the paper appeared: its first version's time; else the day arXiv announced it; else
    the month its arXiv id encodes; else the time it entered the feed; the time it was imported
    only when nothing else is known (a catalogue paper whose source gave no date must not look
    published on the day of the import)."""
    return (
        paper.published_at
        or paper.listed_on
        or (id_month(paper.arxiv_id) if paper.arxiv_id else None)
        or (entry.submitted_at if entry else None)
        or paper.created_at
    )


def paper_object(paper: Paper, entry: DailyEntry | None) -> dict[str, Any]:
    """The `paper` object of a daily item, which is also the body of /api/papers/{id}."""
    published = published_time(paper, entry)
    return {
        "id": paper.key,  # the arXiv id, or local-<n> for a paper without one
        "authors": [
            {"_id": object_id(paper.key, i, name), "name": name, "hidden": False}
            for i, name in enumerate(paper.authors)
        ],
        "publishedAt": hf_time(published),
        "submittedOnDailyAt": hf_time(entry.submitted_at) if entry else None,
        "submittedOnDailyBy": _submitter(entry),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": paper.upvotes,
        "discussionId": object_id("discussion", paper.key),
        "projectPage": paper.project_url or None,
        "githubRepo": paper.code_url or None,
        "githubStars": paper.github_stars,
        "ai_summary": paper.summary or None,
        "ai_keywords": paper.keywords or None,
        "ai_generated": [
            name
            for name, made in (
                ("ai_summary", paper.summary_is_generated),
                ("ai_keywords", not paper.ai_keywords and bool(paper.keywords_generated)),
            )
            if made
        ],
        "organization": _organization(paper),
        "withdrawnAt": hf_time(paper.updated_at) if paper.withdrawn else None,
    }


def thumbnail(paper: Paper) -> str:
    """The first page's picture (PNG, as Hugging Face serves), or the title card until the
    paper's PDF has been processed (papers/thumbnails.py)."""
    if paper.thumbnail:
        return f"{settings.SITE_URL}{reverse('content:file', args=[paper.thumbnail])}"
    return f"{settings.SITE_URL}{reverse('papers:thumbnail', args=[paper.key])}"


def _item(paper: Paper, entry: DailyEntry | None) -> dict[str, Any]:
    inner = paper_object(paper, entry)
    return {
        "paper": inner,
        "publishedAt": inner["submittedOnDailyAt"] or inner["publishedAt"],
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": thumbnail(paper),
        "numComments": paper.num_comments,
        "submittedBy": inner["submittedOnDailyBy"],
        "isAuthorParticipating": False,
        # Repeated at the top level, where huggingface_hub reads them.
        "upvotes": inner["upvotes"],
        "ai_summary": inner["ai_summary"],
        "ai_keywords": inner["ai_keywords"],
        "githubRepo": inner["githubRepo"],
        "githubStars": inner["githubStars"],
        "projectPage": inner["projectPage"],
        "organization": inner["organization"],
    }


def daily_item(entry: DailyEntry) -> dict[str, Any]:
    """One item of /api/daily_papers."""
    return _item(entry.paper, entry)


def search_item(paper: Paper) -> dict[str, Any]:
    """A search result: daily-item shaped; papers never in the feed have no submitter."""
    return _item(paper, getattr(paper, "entry", None))


def paper_detail(paper: Paper) -> dict[str, Any]:
    """/api/papers/{id}: the flat paper object, its comment count and the Hub's models,
    datasets and Spaces citing it (ingest.hub: the count and the most liked of each kind)."""
    entry = getattr(paper, "entry", None)
    return {
        **paper_object(paper, entry),
        "numComments": paper.num_comments,
        **hub.hf_fields(paper),
    }
