import datetime as dt
import random

import pytest

from dailypapers.feed import listings
from dailypapers.feed.listings import FeedError, Period, trending_score
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper, PaperCategory

UTC = dt.UTC


def make_entry(arxiv_id, day, votes=0, hour=0, categories=("cs.LG",)):
    paper = Paper.objects.create(
        arxiv_id=arxiv_id,
        title=f"Paper {arxiv_id}",
        categories=list(categories),
        upvotes_imported=votes,
        listed_on=day,
    )
    for code in categories:
        PaperCategory.objects.create(paper=paper, category=code)
    return DailyEntry.objects.create(
        paper=paper,
        day=day,
        submitted_at=dt.datetime.combine(day, dt.time(hour), tzinfo=UTC),
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
    listing = listings.listing(period, sort="trending", now=now)
    ranked = [e.paper.arxiv_id for e in listing.entries]
    # (v+1)/(age_h+2)^1.8: 6/26^1.8 = .0170, 13/50^1.8 = .0113, 41/98^1.8 = .0106,
    # 101/170^1.8 = .0097, 1/26^1.8 = .0028.
    assert ranked == ["2605.00002", "2605.00003", "2605.00001", "2605.00005", "2605.00004"]
    # Gravity 0 means plain votes.
    settings.TRENDING_GRAVITY = 0.0
    listing = listings.listing(period, sort="trending", now=now)
    assert [e.paper.upvotes for e in listing.entries] == [100, 40, 12, 5, 0]


@pytest.mark.django_db
def test_trending_pages_match_scoring_every_entry(settings):
    rng = random.Random(7)
    start = dt.date(2026, 5, 1)
    for i in range(120):
        votes = rng.choice([0, 0, 0, 1, 2, 5, 30])
        make_entry(f"2605.{i:05d}", start + dt.timedelta(days=rng.randrange(31)), votes, i % 24)
    period = listings.month_period(start)
    now = dt.datetime(2026, 6, 1, tzinfo=UTC)
    ref = listings.reference_time(period, now)
    brute = sorted(
        DailyEntry.objects.select_related("paper"),
        key=lambda e: (
            trending_score(e.paper.upvotes, (ref - e.submitted_at).total_seconds() / 3600),
            e.submitted_at,
            e.id,
        ),
        reverse=True,
    )
    paged = []
    for page in (1, 2, 3):
        listing = listings.listing(period, sort="trending", page=page, page_size=50, now=now)
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
    by_votes = listings.listing(period, sort="votes")
    assert [e.paper.arxiv_id for e in by_votes.entries] == [
        "2605.00002",
        "2605.00001",
        "2605.00003",
    ]
    newest = listings.listing(period, sort="newest")
    assert [e.paper.arxiv_id for e in newest.entries] == ["2605.00003", "2605.00002", "2605.00001"]
    cv = listings.listing(period, sort="votes", category="cs.CV")
    assert (cv.total, [e.paper.arxiv_id for e in cv.entries]) == (2, ["2605.00002", "2605.00001"])
    assert cv.categories == [("cs.CV", 2), ("cs.LG", 1), ("math.AP", 1)]
    second = listings.listing(period, sort="votes", page=2, page_size=2)
    assert (second.pages, [e.paper.arxiv_id for e in second.entries]) == (2, ["2605.00003"])
    with pytest.raises(FeedError, match="page 3 does not exist"):
        listings.listing(period, sort="votes", page=3, page_size=2)


@pytest.mark.django_db
def test_adjacent_and_latest_days_skip_empty_days():
    make_entry("2605.00001", dt.date(2026, 5, 20))
    make_entry("2605.00002", dt.date(2026, 5, 25))
    make_entry("2605.00003", dt.date(2026, 5, 29))
    assert listings.adjacent_days(dt.date(2026, 5, 25)) == (
        dt.date(2026, 5, 20),
        dt.date(2026, 5, 29),
    )
    assert listings.adjacent_days(dt.date(2026, 5, 20)) == (None, dt.date(2026, 5, 25))
    assert listings.latest_day(dt.date(2026, 5, 28)) == dt.date(2026, 5, 25)


def test_periods_parse_strictly():
    week = listings.parse_week("2026-W22")
    assert (week.start, week.end) == (dt.date(2026, 5, 25), dt.date(2026, 5, 31))
    assert week.slug == "2026-W22"
    assert week.shifted(-1).slug == "2026-W21"
    assert listings.parse_week("2026-W53").slug == "2026-W53"  # 2026 has 53 ISO weeks
    month = listings.parse_month("2026-02")
    assert (month.start, month.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert month.shifted(-2).slug == "2025-12"
    assert listings.parse_day("2026-05-28") == dt.date(2026, 5, 28)
    for bad, parse in [
        ("2026-W54", listings.parse_week),
        ("2025-W53", listings.parse_week),
        ("2026W22", listings.parse_week),
        ("2026-13", listings.parse_month),
        ("2026-00", listings.parse_month),
        ("2026-13-40", listings.parse_day),
        ("2026-02-30", listings.parse_day),
        ("\u0662\u0660\u0662\u0666-05-28", listings.parse_day),
    ]:
        with pytest.raises(FeedError):
            parse(bad)
    with pytest.raises(FeedError, match="unknown sort"):
        listings.parse_sort("upvotes", "votes")
    with pytest.raises(FeedError, match="unknown sort"):
        listings.parse_sort("trending", "newest", listings.ARXIV_SORTS)
    with pytest.raises(FeedError, match="category"):
        listings.parse_category("cs.LG' OR 1=1")
    # Days, weeks and months rank by votes (the month's most upvoted paper first); trending
    # decays them by age.
    assert listings.parse_sort(None, Period("day", week.start, week.start).default_sort) == "votes"
    assert listings.parse_sort(None, week.default_sort) == "votes"
    assert listings.parse_sort(None, month.default_sort) == "votes"
    assert Period("trending", week.start, week.end).default_sort == "trending"


@pytest.mark.parametrize(
    "text, parse",
    [
        ("9999-W52", listings.parse_week),
        ("0001-W01", listings.parse_week),
        ("9999-12", listings.parse_month),
        ("0001-01", listings.parse_month),
        ("9999-12-31", listings.parse_day),
        ("0001-01-01", listings.parse_day),
    ],
)
def test_far_dates_are_refused_not_overflowed(text, parse):
    with pytest.raises(FeedError, match="out of range"):
        parse(text)
    # The edges of the range work, and so do their neighbours' links.
    assert listings.parse_month("2999-12").shifted(1).slug == "3000-01"
    assert listings.parse_week("1900-W01").shifted(-1).start.year == 1899


@pytest.mark.django_db
def test_the_trending_window_holds_only_papers_with_votes():
    day = dt.date(2026, 5, 25)
    make_entry("2605.00001", day, votes=0)
    make_entry("2605.00002", day - dt.timedelta(days=1), votes=2)
    make_entry("2605.00003", day - dt.timedelta(days=2), votes=0)
    window = Period("trending", day - dt.timedelta(days=6), day)
    data = listings.listing(window, sort="trending")
    assert (data.total, [e.paper.arxiv_id for e in data.entries]) == (1, ["2605.00002"])
    assert data.categories == [("cs.LG", 1)]
    # A week sorted by trending still lists every entry (unvoted ones decay like the rest).
    everything = listings.listing(Period("week", day - dt.timedelta(days=6), day), sort="trending")
    assert everything.total == len(everything.entries) == 3


@pytest.mark.django_db
def test_the_api_s_pages_past_the_end_are_empty_not_errors():
    day = dt.date(2026, 5, 25)
    for i in range(3):
        make_entry(f"2605.0000{i}", day, votes=i)
    data = listings.listing(listings.ALL_TIME, sort="newest", page=5, page_size=2, allow_empty=True)
    assert (data.entries, data.total, data.has_next) == ([], 3, False)
    first = listings.listing(listings.ALL_TIME, sort="votes", page=1, page_size=2)
    assert first.has_next and [e.paper.upvotes for e in first.entries] == [2, 1]


def catalogue_paper(arxiv_id, listed, votes=0, categories=("cs.LG",), hour=0):
    paper = Paper.objects.create(
        arxiv_id=arxiv_id,
        title=f"Paper {arxiv_id}",
        categories=list(categories),
        primary_category=categories[0],
        listed_on=listed,
        upvotes_local=votes,
        published_at=dt.datetime.combine(listed, dt.time(hour), tzinfo=UTC),
    )
    for code in categories:
        PaperCategory.objects.create(paper=paper, category=code)
    return paper


@pytest.mark.django_db
def test_new_on_arxiv_lists_a_day_of_the_catalogue_by_newest_or_votes():
    day = dt.date(2026, 5, 28)
    catalogue_paper("2605.10001", day, votes=0, hour=1)
    catalogue_paper("2605.10002", day, votes=5, hour=2, categories=("cs.CL",))
    catalogue_paper("2605.10003", day, votes=1, hour=3, categories=("cs.CL", "cs.LG"))
    catalogue_paper("2605.10004", day - dt.timedelta(days=3), votes=9)
    newest = listings.arxiv_listing(day)
    assert [p.arxiv_id for p in newest.papers] == ["2605.10003", "2605.10002", "2605.10001"]
    by_votes = listings.arxiv_listing(day, sort="votes")
    assert [p.arxiv_id for p in by_votes.papers] == ["2605.10002", "2605.10003", "2605.10001"]
    cl = listings.arxiv_listing(day, category="cs.CL")
    assert (cl.total, cl.categories) == (2, [("cs.CL", 2), ("cs.LG", 2)])
    paged = listings.arxiv_listing(day, page=2, page_size=2)
    assert (paged.pages, [p.arxiv_id for p in paged.papers]) == (2, ["2605.10001"])
    with pytest.raises(FeedError):
        listings.arxiv_listing(day, page=3, page_size=2)
    assert listings.latest_listed_day(day) == day
    assert listings.adjacent_listed_days(day) == (day - dt.timedelta(days=3), None)
    # Papers in the feed are listed too (with their entry), and the feed does not list the rest.
    DailyEntry.objects.create(
        paper=Paper.objects.get(arxiv_id="2605.10001"), day=day, submitted_at=dt.datetime.now(UTC)
    )
    assert listings.arxiv_listing(day).total == 3
    assert listings.listing(Period("day", day, day), sort="votes").total == 1
