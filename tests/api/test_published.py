"""The `publishedAt` of a paper: what its source said, else its arXiv announcement day, else the
month its id encodes, else when it entered the feed; the import time only when nothing else is
known (issue 31, item 8: the demo's New on arXiv papers showed the day of the import)."""

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.api.shapes import hf_time, paper_object
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.ids import id_month
from dailypapers.papers.models import Paper

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def paper(**fields) -> Paper:
    return Paper.objects.create(title="A paper", abstract="Abstract.", **fields)


def test_the_time_the_source_gave_comes_first():
    found = paper(
        arxiv_id="2605.00001",
        published_at=dt.datetime(2026, 5, 3, 17, 59, 1, tzinfo=UTC),
        listed_on=dt.date(2026, 5, 5),
    )
    assert paper_object(found, None)["publishedAt"] == "2026-05-03T17:59:01.000Z"


def test_without_it_the_day_arxiv_announced_the_paper():
    found = paper(arxiv_id="2605.00002", listed_on=dt.date(2026, 5, 6))
    assert paper_object(found, None)["publishedAt"] == "2026-05-06T00:00:00.000Z"


def test_without_either_the_month_its_new_style_id_encodes():
    found = paper(arxiv_id="2605.00003")
    assert found.created_at.date() != dt.date(2026, 5, 1)
    assert paper_object(found, None)["publishedAt"] == "2026-05-01T00:00:00.000Z"


def test_the_month_comes_before_the_time_it_entered_the_feed():
    found = paper(arxiv_id="2605.00004")
    entry = DailyEntry.objects.create(
        paper=found, day=dt.date(2026, 12, 1), submitted_at=dt.datetime(2026, 12, 1, tzinfo=UTC)
    )
    data = paper_object(found, entry)
    assert data["publishedAt"] == "2026-05-01T00:00:00.000Z"
    assert data["submittedOnDailyAt"] == "2026-12-01T00:00:00.000Z"


def test_a_paper_without_an_arxiv_id_falls_back_to_its_entry_then_its_import():
    local = paper()
    assert paper_object(local, None)["publishedAt"] == hf_time(local.created_at)
    when = timezone.now() - dt.timedelta(days=3)
    entry = DailyEntry.objects.create(paper=local, day=when.date(), submitted_at=when)
    assert paper_object(local, entry)["publishedAt"] == hf_time(when)


def test_the_month_of_an_id():
    assert id_month("2605.12345") == dt.date(2026, 5, 1)
    assert id_month("2605.12345v3") == dt.date(2026, 5, 1)
    assert id_month("0704.0001") == dt.date(2007, 4, 1)
    assert id_month("hep-th/9901001") == dt.date(1999, 1, 1)
    assert id_month("math.AP/0601001") == dt.date(2006, 1, 1)
    assert id_month("local-3") is None


def test_a_day_is_its_midnight_utc():
    assert hf_time(dt.date(2026, 5, 1)) == "2026-05-01T00:00:00.000Z"


def test_the_api_and_the_client_see_the_fallback(client):
    paper(arxiv_id="2605.00005")
    body = client.get("/api/papers/2605.00005").json()
    assert body["publishedAt"] == "2026-05-01T00:00:00.000Z"
