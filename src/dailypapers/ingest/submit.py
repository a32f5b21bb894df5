"""Submitting a paper by arXiv id: validated, fetched through the API source, put in the feed.

Hugging Face's rules: a paper can be submitted while its first arXiv version is recent
(`DAILYPAPERS_SUBMIT_WINDOW_DAYS`); older papers stay in the catalogue, where they can be
discussed and upvoted, unless a curator adds them. A paper already in the feed is not added twice
(`Submission.created` is False; community/services.py counts the submitter's upvote instead).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from django.conf import settings
from django.contrib.auth.models import User

from dailypapers.core.http import PoliteClient, make_client
from dailypapers.feed import curation, listings
from dailypapers.feed.models import DailyEntry
from dailypapers.ingest import catalogue
from dailypapers.ingest.harvest import fetch_by_id
from dailypapers.ingest.parse import ApiError
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.models import Paper


class SubmitError(ValueError):
    """The submission cannot be accepted; the message is fit for the submitter."""


@dataclass(frozen=True)
class Submission:
    paper: Paper
    entry: DailyEntry
    created: bool  # False: the paper was in the feed already


def catalogue_paper(arxiv_id: str, client: PoliteClient | None = None) -> Paper:
    """The paper from the catalogue, fetched from the arXiv API first when it is new here."""
    paper = Paper.objects.select_related("entry").filter(arxiv_id=arxiv_id).first()
    if paper is not None:
        return paper
    owned = client is None
    # Someone waits for the answer: a short timeout and one retry, not the harvests' patience
    # (an unreachable arXiv answered after 49 s of silence).
    client = client or make_client(
        retries=1, backoff_base=1.0, max_wait=5.0, timeout=httpx.Timeout(5.0, read=15.0)
    )
    try:
        record = fetch_by_id(arxiv_id, client)
    except ApiError as exc:
        raise SubmitError(f"{arxiv_id}: {exc}") from None
    finally:
        if owned:
            client.close()
    if record is None:
        raise SubmitError(f"arXiv has no paper {arxiv_id}.")
    catalogue.upsert([record])
    return Paper.objects.select_related("entry").get(arxiv_id=arxiv_id)


def submit_paper(
    text: str,
    *,
    user: User | None = None,
    client: PoliteClient | None = None,
    curator: bool = False,
) -> Submission:
    """Add the paper to today's feed; a curator may add a paper of any age."""
    try:
        arxiv_id = parse_arxiv_id(text).id
    except InvalidArxivId as exc:
        raise SubmitError(str(exc)) from None
    paper = catalogue_paper(arxiv_id, client)
    entry = getattr(paper, "entry", None)
    if entry is not None:
        return Submission(paper, entry, created=False)
    window = settings.SUBMIT_WINDOW_DAYS
    if not curator and not curation.within(paper, window):
        first = curation.first_version_day(paper)
        when = f"on {listings.format_day(first, 'long')}" if first else "at an unknown date"
        raise SubmitError(
            f"{arxiv_id} was first published {when}: only papers from the last {window} days "
            "can be submitted to the Daily feed. You can still upvote and discuss it on its "
            "page, and a curator can add it."
        )
    source = DailyEntry.CURATOR if curator else DailyEntry.USER
    entry = curation.add_to_feed(paper, source=source, user=user)
    if entry is None:  # submitted by someone else in the meantime
        return Submission(paper, DailyEntry.objects.get(paper=paper), created=False)
    return Submission(paper, entry, created=True)
