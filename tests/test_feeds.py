import datetime as dt
import random

import pytest

from dailypapers.papers import feeds
from dailypapers.papers.feeds import FeedError, Period, trending_score
from dailypapers.papers.models import DailyEntry, Paper, PaperCategory

UTC = dt.UTC


def make_entry(arxiv_id, day, votes=0, hour=0, categories=("cs.LG",)):
    paper = Paper.objects.create(
        arxiv_id=arxiv_id, title=f"Paper {arxiv_id}", categories=list(categories)
    )
    for code in categories:
        PaperCategory.objects.create(paper=paper, category=code)
    return DailyEntry.objects.create(
        paper=paper,
        day=day,
        submitted_at=dt.datetime.combine(day, dt.time(hour), tzinfo=UTC),
        upvotes_imported=votes,
    )


def test_the_trending_score_is_votes_decayed_by_age():
    assert trending_score(0, 0, gravity=1.8) == pytest.approx(1 / 2**1.8)
    assert trending_score(9, 22, gravity=1.8) == pytest.approx(10 / 24**1.8)
    assert trending_score(9, 22, gravity=0) == 10
    assert trending_score(5, -3, gravity=1.8) == trending_score(5, 0, gravity=1.8)
    # More votes win at equal age; at equal votes the newer wins.
    assert trending_score(10, 24) > trending_score(9, 24)
    assert trending_score(10, 24) > trending_score(10, 48)


@pytest.mark.django_db
def test_trending_ranks_fixed_data_as_the_formula_says(settings):
    settings.TRENDING_GRAVITY = 1.8
    day = dt.date(2026, 5, 25)
    make_entry("2605.00001", day - dt.timedelta(days=3), votes=40)  # old, many votes
    make_entry("2605.00002", day, votes=5)  # fresh, some votes
    make_entry("2605.00003", day - dt.timedelta(days=1), votes=12)
    make_entry("2605.00004", day, votes=0)  # fresh, none
    make_entry("2605.00005", day - dt.timedelta(days=6), votes=100)  # very old, most votes
    period = Period("week", day - dt.timedelta(days=6), day)
    now = dt.datetime(2026, 5, 26, tzinfo=UTC)  # the end of the period
    listing = feeds.listing(period, sort="trending", now=now)
    ranked = [e.paper.arxiv_id for e in listing.entries]
    # (v+1)/(age_h+2)^1.8: 6/26^1.8 = .0170, 13/50^1.8 = .0113, 41/98^1.8 = .0106,
    # 101/170^1.8 = .0097, 1/26^1.8 = .0028.
    assert ranked == ["2605.00002", "2605.00003", "2605.00001", "2605.00005", "2605.00004"]
    # Gravity 0 means plain votes.
    settings.TRENDING_GRAVITY = 0.0
    listing = feeds.listing(period, sort="trending", now=now)
    assert [e.upvotes for e in listing.entries] == [100, 40, 12, 5, 0]


@pytest.mark.django_db
def test_trending_pages_match_scoring_every_entry(settings):
    rng = random.Random(7)
    start = dt.date(2026, 5, 1)
    for i in range(120):
        votes = rng.choice([0, 0, 0, 1, 2, 5, 30])
        make_entry(f"2605.{i:05d}", start + dt.timedelta(days=rng.randrange(31)), votes, i % 24)
    period = feeds.month_period(start)
    now = dt.datetime(2026, 6, 1, tzinfo=UTC)
    ref = feeds.reference_time(period, now)
    brute = sorted(
        DailyEntry.objects.all(),
        key=lambda e: (
            trending_score(e.upvotes, (ref - e.submitted_at).total_seconds() / 3600),
            e.submitted_at,
            e.id,
        ),
        reverse=True,
    )
    paged = []
    for page in (1, 2, 3):
        listing = feeds.listing(period, sort="trending", page=page, page_size=50, now=now)
        paged += listing.entries
    assert [e.id for e in paged] == [e.id for e in brute]


@pytest.mark.django_db
def test_sorts_filters_and_pages():
    day = dt.date(2026, 5, 25)
    make_entry("2605.00001", day, votes=3, hour=1, categories=("cs.CV",))
    make_entry("2605.00002", day, votes=9, hour=2, categories=("cs.LG", "cs.CV"))
    make_entry("2605.00003", day, votes=1, hour=3, categories=("math.AP",))
    make_entry("2605.00004", day - dt.timedelta(days=1), votes=50)
    period = Period("day", day, day)
    by_votes = feeds.listing(period, sort="votes")
    assert [e.paper.arxiv_id for e in by_votes.entries] == [
        "2605.00002",
        "2605.00001",
        "2605.00003",
    ]
    newest = feeds.listing(period, sort="newest")
    assert [e.paper.arxiv_id for e in newest.entries] == ["2605.00003", "2605.00002", "2605.00001"]
    cv = feeds.listing(period, sort="votes", category="cs.CV")
    assert (cv.total, [e.paper.arxiv_id for e in cv.entries]) == (2, ["2605.00002", "2605.00001"])
    assert cv.categories == [("cs.CV", 2), ("cs.LG", 1), ("math.AP", 1)]
    second = feeds.listing(period, sort="votes", page=2, page_size=2)
    assert (second.pages, [e.paper.arxiv_id for e in second.entries]) == (2, ["2605.00003"])
    with pytest.raises(FeedError, match="page 3 does not exist"):
        feeds.listing(period, sort="votes", page=3, page_size=2)


@pytest.mark.django_db
def test_adjacent_and_latest_days_skip_empty_days():
    make_entry("2605.00001", dt.date(2026, 5, 20))
    make_entry("2605.00002", dt.date(2026, 5, 25))
    make_entry("2605.00003", dt.date(2026, 5, 29))
    assert feeds.adjacent_days(dt.date(2026, 5, 25)) == (dt.date(2026, 5, 20), dt.date(2026, 5, 29))
    assert feeds.adjacent_days(dt.date(2026, 5, 20)) == (None, dt.date(2026, 5, 25))
    assert feeds.latest_day(dt.date(2026, 5, 28)) == dt.date(2026, 5, 25)


def test_periods_parse_strictly():
    week = feeds.parse_week("2026-W22")
    assert (week.start, week.end) == (dt.date(2026, 5, 25), dt.date(2026, 5, 31))
    assert week.slug == "2026-W22"
    assert week.shifted(-1).slug == "2026-W21"
    assert feeds.parse_week("2026-W53").slug == "2026-W53"  # 2026 has 53 ISO weeks
    month = feeds.parse_month("2026-02")
    assert (month.start, month.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert month.shifted(-2).slug == "2025-12"
    assert feeds.parse_day("2026-05-28") == dt.date(2026, 5, 28)
    for bad, parse in [
        ("2026-W54", feeds.parse_week),
        ("2025-W53", feeds.parse_week),
        ("2026W22", feeds.parse_week),
        ("2026-13", feeds.parse_month),
        ("2026-00", feeds.parse_month),
        ("2026-13-40", feeds.parse_day),
        ("2026-02-30", feeds.parse_day),
        ("\u0662\u0660\u0662\u0666-05-28", feeds.parse_day),
    ]:
        with pytest.raises(FeedError):
            parse(bad)
    with pytest.raises(FeedError, match="unknown sort"):
        feeds.parse_sort("upvotes", week)
    with pytest.raises(FeedError, match="category"):
        feeds.parse_category("cs.LG' OR 1=1")
    assert feeds.parse_sort(None, Period("day", week.start, week.start)) == "votes"
    assert feeds.parse_sort(None, week) == "trending"
