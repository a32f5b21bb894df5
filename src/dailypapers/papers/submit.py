"""Submitting a paper by arXiv id: validated, fetched through the API source, put in the feed."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from dailypapers.papers import store
from dailypapers.papers.feeds import today
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.models import DailyEntry, Paper
from dailypapers.papers.sources.harvest import fetch_by_id, make_client
from dailypapers.papers.sources.http import PoliteClient
from dailypapers.search import fulltext


class SubmitError(ValueError):
    """The submission cannot be accepted; the message is fit for the submitter."""


def submit_paper(
    text: str,
    *,
    user: AbstractBaseUser | None = None,
    client: PoliteClient | None = None,
) -> Paper:
    """Add the paper to today's feed, fetching its metadata from arXiv when it is new here."""
    try:
        arxiv_id = parse_arxiv_id(text).id
    except InvalidArxivId as exc:
        raise SubmitError(str(exc)) from None
    existing = DailyEntry.objects.filter(paper__arxiv_id=arxiv_id).select_related("paper").first()
    if existing:
        day = existing.day
        raise SubmitError(
            f"{arxiv_id} is already in the feed (since {day:%B} {day.day}, {day.year})."
        )
    if not Paper.objects.filter(arxiv_id=arxiv_id).exists():
        owned = client is None
        client = client or make_client()
        try:
            record = fetch_by_id(arxiv_id, client)
        finally:
            if owned:
                client.close()
        if record is None:
            raise SubmitError(f"arXiv has no paper {arxiv_id}.")
        record.day = None
        store.upsert([record])
    paper = Paper.objects.get(arxiv_id=arxiv_id)
    with transaction.atomic():
        _, created = DailyEntry.objects.get_or_create(
            paper=paper,
            defaults={"day": today(), "submitted_at": timezone.now(), "submitted_by": user},
        )
    if not created:  # submitted by someone else in the meantime
        raise SubmitError(f"{arxiv_id} was just added to the feed by someone else.")
    fulltext.sync()  # searchable at once (the worker would index it within a minute)
    return paper
