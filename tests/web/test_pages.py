import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper, PaperCategory, PaperVersion

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 5, 25)


def add_papers(n, day=DAY, start=1, categories=("cs.LG",)):
    for i in range(start, start + n):
        paper = Paper.objects.create(
            arxiv_id=f"2605.{i:05d}",
            title=f"Paper number {i}",
            abstract="An abstract " * 60,
            authors=[f"Author {k}" for k in range(8)],
            categories=list(categories),
            primary_category=categories[0],
            code_url="https://github.com/example/code" if i % 2 else "",
            upvotes_imported=i,
            listed_on=day,
        )
        for code in categories:
            PaperCategory.objects.create(paper=paper, category=code)
        DailyEntry.objects.create(
            paper=paper,
            day=day,
            submitted_at=dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC),
        )


def test_the_home_page_shows_the_latest_day_with_papers(client):
    add_papers(3, day=DAY)
    add_papers(2, day=DAY - dt.timedelta(days=3), start=10)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "May 25, 2026" in html
    assert (
        html.index("Paper number 3") < html.index("Paper number 2") < html.index("Paper number 1")
    )
    assert "Paper number 10" not in html
    assert 'href="/papers/date/2026-05-22" rel="prev"' in html
    assert 'rel="next"' not in html
    text = re.sub(r"<[^>]+>", "", html)  # names are links
    assert "Author 0, Author 1, Author 2 and 5 more" in text  # eight authors: three on a card


def test_a_day_a_week_and_a_month_list_their_papers(client):
    add_papers(2, day=DAY)
    add_papers(1, day=DAY + dt.timedelta(days=2), start=10)
    day = client.get("/papers/date/2026-05-25").content.decode()
    assert "Paper number 1" in day and "Paper number 10" not in day
    week = client.get("/papers/week/2026-W22").content.decode()
    assert all(f"Paper number {i}" in week for i in (1, 2, 10))
    assert 'href="/papers/week/2026-W21" rel="prev"' in week
    month = client.get("/papers/month/2026-05").content.decode()
    assert "3 papers" in month
    assert client.get("/papers/week").url == "/papers/week/2026-W22"
    assert client.get("/papers/month").url == "/papers/month/2026-05"


def test_sort_and_category_work_without_javascript(client):
    add_papers(3, categories=("cs.LG",))
    add_papers(2, start=10, categories=("cs.CV",))
    html = client.get("/papers/date/2026-05-25?sort=newest&category=cs.CV").content.decode()
    assert "2 papers in cs.CV" in html
    assert "Paper number 1<" not in html
    assert '<option value="cs.CV" selected>' in html
    assert '<option value="newest" selected>' in html


def test_pages_link_to_each_other_and_keep_the_filters(client, settings):
    settings.FEED_PAGE_SIZE = 2
    add_papers(5)
    html = client.get("/papers/date/2026-05-25?sort=votes").content.decode()
    assert "Page 1 of 3" in html
    assert 'href="?sort=votes&amp;page=2"' in html
    assert client.get("/papers/date/2026-05-25?page=3").status_code == 200


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/papers/date/2026-13-40", 400, "not a valid date"),
        ("/papers/date/yesterday", 400, "not a date"),
        ("/papers/week/2026-W60", 400, "does not exist"),
        ("/papers/month/2026-13", 400, "not a month"),
        ("/?sort=upvotes", 400, "unknown sort"),
        ("/?category=%3Cscript%3E", 400, "not an arXiv category"),
        ("/?page=abc", 400, "not a page number"),
        ("/?page=99", 404, "does not exist"),
        ("/papers/2605.99999", 404, "Not found"),
        ("/papers/not-an-id", 404, "Not found"),
    ],
)
def test_bad_input_gets_a_clear_message_not_a_500(client, url, status, message):
    add_papers(1)
    response = client.get(url)
    assert response.status_code == status
    assert message in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_a_future_day_sends_you_to_the_latest(client):
    response = client.get("/papers/date/2999-01-01")
    assert (response.status_code, response.url) == (302, "/")


def test_the_paper_page_shows_everything_known(client):
    add_papers(1)
    paper = Paper.objects.get()
    paper.project_url = "https://example.org/project"
    paper.comment = "12 pages"
    paper.save()
    PaperVersion.objects.create(paper=paper, version=1)
    html = client.get("/papers/2605.00001").content.decode()
    assert "Author 0, Author 1" in re.sub(r"<[^>]+>", "", html)  # names are links
    for text in (
        "Paper number 1",
        "An abstract",
        'href="https://arxiv.org/abs/2605.00001"',
        'href="https://arxiv.org/pdf/2605.00001"',
        'href="https://github.com/example/code"',
        'href="https://example.org/project"',
        "12 pages",
        "May 25, 2026",
        "cs.LG",
        "No comments yet.",
    ):
        assert text in html, text


def test_a_versioned_or_prefixed_id_redirects_to_the_paper(client):
    add_papers(1)
    assert client.get("/papers/2605.00001v3").url == "/papers/2605.00001"
    assert client.get("/papers/arXiv:2605.00001").url == "/papers/2605.00001"


def test_old_style_and_local_papers_have_pages(client):
    Paper.objects.create(arxiv_id="hep-th/9901001", title="An old-style paper")
    local = Paper.objects.create(title="A paper without an arXiv id")
    assert "An old-style paper" in client.get("/papers/hep-th/9901001").content.decode()
    assert "without an arXiv" in client.get(f"/papers/local-{local.pk}").content.decode()
    assert client.get("/papers/local-999999").status_code == 404


def test_text_from_imports_is_escaped(client):
    add_papers(1)
    Paper.objects.update(title="<script>alert(1)</script>", authors=["<img src=x onerror=1>"])
    for url in ("/", "/papers/2605.00001"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_paper_has_a_thumbnail(client):
    """A placeholder drawn from the paper (no page of it is rendered yet), linked from cards, the
    paper page and the API's `thumbnail`, cached by browsers and validated by the paper's last
    change. It never repeats the title (the card shows it right below, unclipped)."""
    add_papers(1, categories=("cs.CV",))
    Paper.objects.update(title='A <very> "long" title & more ' * 6)
    old = Paper.objects.create(arxiv_id="hep-th/9901001", title="Old")
    response = client.get("/papers/2605.00001/thumbnail.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert "max-age=86400" in response["Cache-Control"]
    svg = etree.fromstring(response.content)  # well-formed XML: the title is escaped
    text = "".join(svg.itertext())
    assert text == "cs.CV2605.00001" and "very" not in response.content.decode()
    assert svg.get("width") == "640" and svg.get("height") == "240"  # the cards' 8:3 box
    other = client.get(f"/papers/{old.key}/thumbnail.svg").content
    assert b"hep-th/9901001" in other and b"<text" in other  # no category: still labelled
    again = client.get("/papers/2605.00001/thumbnail.svg", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert client.get(f"/papers/{old.key}/thumbnail.svg").status_code == 200
    assert client.get("/papers/2605.99999/thumbnail.svg").status_code == 404
    assert 'src="/papers/2605.00001/thumbnail.svg"' in client.get("/").content.decode()
    item = client.get("/api/papers/search", {"q": "title"}).json()[0]
    assert item["thumbnail"].endswith("/papers/2605.00001/thumbnail.svg")


@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/2026-05-25",
        "/papers/date/2026-05-25?sort=trending",
        "/papers/date/2026-05-25?category=cs.LG",
        "/papers/week/2026-W22",
        "/papers/month/2026-05?sort=newest",
        "/papers/trending",
    ],
)
def test_a_feed_page_runs_the_same_queries_for_5_or_50_papers(client, settings, url):
    settings.FEED_PAGE_SIZE = 50
    add_papers(5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add_papers(95, start=100)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="card"') == 50
    assert len(many) == len(few) <= 8


def test_signed_out_visitors_share_a_short_lived_cache_of_feed_pages(client, settings):
    from django.contrib.auth.models import User
    from django.test import Client

    settings.PAGE_CACHE_SECONDS = 10
    add_papers(2)
    first = client.get("/papers/date/2026-05-25").content.decode()
    assert "csrfmiddlewaretoken" not in first  # nothing per visitor in the page
    Paper.objects.filter(arxiv_id="2605.00001").update(upvotes_local=40)
    assert client.get("/papers/date/2026-05-25").content.decode() == first  # cached
    assert "<strong>41</strong>" not in first
    other = client.get("/papers/date/2026-05-25?sort=votes")  # another address: not cached yet
    assert "<strong>41</strong>" in other.content.decode()
    # Signed in, or with a session: always fresh.
    User.objects.create_user("reader", "reader@example.org", "a long enough password")
    member = Client()
    member.login(username="reader", password="a long enough password")
    assert "<strong>41</strong>" in member.get("/papers/date/2026-05-25").content.decode()
    # The paper page too: one copy for every signed-out visitor, a CDN may keep it as long.
    page = client.get("/papers/2605.00002")
    assert "csrfmiddlewaretoken" not in page.content.decode() and not page.cookies
    assert "public" in page["Cache-Control"] and "max-age=10" in page["Cache-Control"]
    Paper.objects.filter(arxiv_id="2605.00002").update(upvotes_local=30)
    assert client.get("/papers/2605.00002").content == page.content
    fresh = member.get("/papers/2605.00002")
    now = Paper.objects.get(arxiv_id="2605.00002").upvotes
    assert f"<strong>{now}</strong>" in fresh.content.decode()
    assert f"<strong>{now}</strong>" not in page.content.decode()
    assert "private" in fresh["Cache-Control"]
    settings.PAGE_CACHE_SECONDS = 0
    assert "<strong>41</strong>" in client.get("/papers/date/2026-05-25").content.decode()


def test_the_subscribe_form_needs_a_csrf_token_only_when_signed_in(settings):
    from django.contrib.auth.models import User
    from django.test import Client

    visitor = Client(enforce_csrf_checks=True)
    response = visitor.post("/digest/subscribe", {"email": "a@example.org"})
    assert response.status_code == 200 and "a@example.org" in response.content.decode()
    User.objects.create_user("reader", "reader@example.org", "a long enough password")
    member = Client(enforce_csrf_checks=True)
    member.login(username="reader", password="a long enough password")
    assert member.post("/digest/subscribe", {"email": "b@example.org"}).status_code == 403
