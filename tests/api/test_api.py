"""The JSON API and feeds, seen by their real clients: huggingface_hub over HTTP, feedparser."""

import datetime as dt
import json
import os

import feedparser
import pytest
from django.contrib.auth.models import User
from django.test import Client

from dailypapers.api.models import ApiToken
from dailypapers.community.models import Profile
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper, PaperCategory

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
UTC = dt.UTC


def add(arxiv_id, day, votes, *, title=None, submitter=None, categories=("cs.LG",), **fields):
    paper = Paper.objects.create(
        arxiv_id=arxiv_id,
        title=title or f"Paper {arxiv_id}",
        abstract=f"Abstract of {arxiv_id} about diffusion models.",
        authors=["Ada Lovelace", "Alan Turing"],
        categories=list(categories),
        primary_category=categories[0],
        published_at=dt.datetime.combine(day - dt.timedelta(days=1), dt.time(14, 16, 26), UTC),
        upvotes_imported=votes,
        comments_imported=2,
        listed_on=day - dt.timedelta(days=1),
        **fields,
    )
    for code in categories:
        PaperCategory.objects.create(paper=paper, category=code)
    DailyEntry.objects.create(
        paper=paper,
        day=day,
        submitted_at=dt.datetime.combine(day, dt.time(8), UTC),
        submitted_by=submitter,
    )
    return paper


@pytest.fixture
def papers():
    ada = User.objects.create_user("ada", "ada@example.org", "x" * 12)
    Profile.objects.create(user=ada)
    add("2605.00001", dt.date(2026, 5, 25), 30, submitter=ada,
        code_url="https://github.com/ada/engine", project_url="https://ada.example.org",
        github_stars=120, ai_summary="One sentence.", ai_keywords=["engines"],
        organization="Analytical Society", title="Notes on the Analytical Engine")  # fmt: skip
    add("2605.00002", dt.date(2026, 5, 26), 5, categories=("cs.CV", "cs.LG"))
    add("2605.00003", dt.date(2026, 5, 26), 50)
    add("2605.00004", dt.date(2026, 5, 26), 0)
    add("2605.00005", dt.date(2026, 5, 28), 12, categories=("math.AP",))
    Paper.objects.create(arxiv_id="hep-th/9901001", title="An old diffusion paper", abstract="x")
    local = Paper.objects.create(title="A paper known by title only", abstract="From the demo.")
    DailyEntry.objects.create(
        paper=local, day=dt.date(2026, 5, 20), submitted_at=dt.datetime(2026, 5, 20, tzinfo=UTC)
    )
    return ada


@pytest.fixture
def hf(live_server, papers):
    from huggingface_hub import HfApi

    return HfApi(endpoint=live_server.url)


def ids(items) -> list[str]:
    return [item.id for item in items]


# --- huggingface_hub against a live server ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_list_daily_papers_by_date_week_month_and_submitter(hf):
    by_day = list(hf.list_daily_papers(date="2026-05-26"))
    assert ids(by_day) == ["2605.00003", "2605.00002", "2605.00004"]  # most upvoted first
    first = by_day[0]
    assert first.upvotes == 50 and first.comments == 2
    assert first.submitted_at == dt.datetime(2026, 5, 26, 8, tzinfo=UTC)
    assert first.published_at == dt.datetime(2026, 5, 25, 14, 16, 26, tzinfo=UTC)
    assert [a.name for a in first.authors] == ["Ada Lovelace", "Alan Turing"]
    assert set(ids(hf.list_daily_papers(week="2026-W22"))) == {
        "2605.00001", "2605.00002", "2605.00003", "2605.00004", "2605.00005",
    }  # fmt: skip
    assert len(list(hf.list_daily_papers(month="2026-05"))) == 6  # with the title-only paper
    mine = list(hf.list_daily_papers(submitter="ada"))
    assert ids(mine) == ["2605.00001"]
    paper = mine[0]
    assert paper.submitted_by.username == "ada"
    assert (paper.github_repo, paper.github_stars) == ("https://github.com/ada/engine", 120)
    assert (paper.project_page, paper.ai_summary) == ("https://ada.example.org", "One sentence.")
    assert paper.ai_keywords == ["engines"]
    assert paper.organization.name == "Analytical Society"


@pytest.mark.django_db(transaction=True)
def test_list_daily_papers_pages_limits_and_sorts(hf):
    newest = ids(hf.list_daily_papers())
    assert newest[0] == "2605.00005" and len(newest) == 6
    local = newest[-1]  # a paper without an arXiv id, as the demo has: a local id
    assert local.startswith("local-")
    assert hf.paper_info(local).title == "A paper known by title only"
    assert ids(hf.list_daily_papers(limit=2)) == newest[:2]
    assert ids(hf.list_daily_papers(limit=2, p=1)) == newest[2:4]
    assert ids(hf.list_daily_papers(limit=2, p=50)) == []
    trending = ids(hf.list_daily_papers(sort="trending", month="2026-05"))
    assert set(trending) == set(newest) and trending != newest


@pytest.mark.django_db(transaction=True)
def test_bad_input_raises_the_clients_bad_request_error(hf):
    from huggingface_hub.errors import BadRequestError, HfHubHTTPError

    for bad in (
        {"date": "2025-13-40"},
        {"limit": 101},
        {"week": "2026-W99"},
        {"date": "2999-01-01"},
    ):
        with pytest.raises(BadRequestError):
            list(hf.list_daily_papers(**bad))
    with pytest.raises(HfHubHTTPError) as missing:
        hf.paper_info("2605.99999")
    assert missing.value.response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_paper_info_search_and_markdown(hf):
    info = hf.paper_info("2605.00001")
    assert info.title == "Notes on the Analytical Engine"
    assert info.upvotes == 30 and info.comments == 2
    assert info.submitted_by.username == "ada"
    assert info.github_repo == "https://github.com/ada/engine"
    assert info.linked_models == [] and info.num_total_models == 0
    old = hf.paper_info("hep-th/9901001")
    assert old.title == "An old diffusion paper" and old.upvotes == 0
    found = ids(hf.list_papers(query="diffusion"))
    assert found[0] == "hep-th/9901001"  # the word in its title weighs most
    assert set(found) == {"hep-th/9901001", *(f"2605.0000{i}" for i in range(1, 6))}
    assert len(list(hf.list_papers(query="diffusion", limit=2))) == 2
    text = hf.read_paper("2605.00001")
    assert text.startswith("# Notes on the Analytical Engine")
    assert "https://arxiv.org/abs/2605.00001" in text


# --- JSON details the client does not check --------------------------------------------------


@pytest.mark.django_db
def test_items_have_hugging_faces_shape_and_a_next_link(client, papers):
    response = client.get("/api/daily_papers", {"date": "2026-05-26", "limit": 2})
    assert response["Link"] == '</api/daily_papers?date=2026-05-26&limit=2&p=1>; rel="next"'
    item = response.json()[0]
    assert set(item) >= {
        "paper", "publishedAt", "title", "summary", "thumbnail", "numComments", "submittedBy",
        "isAuthorParticipating",
    }  # fmt: skip
    inner = item["paper"]
    assert inner["id"] == "2605.00003" and inner["upvotes"] == 50
    assert inner["publishedAt"] == "2026-05-25T14:16:26.000Z"
    assert inner["submittedOnDailyAt"] == "2026-05-26T08:00:00.000Z"
    assert inner["authors"][0]["name"] == "Ada Lovelace" and len(inner["authors"][0]["_id"]) == 24
    last = client.get("/api/daily_papers", {"date": "2026-05-26", "limit": 2, "p": 1})
    assert "Link" not in last


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/api/daily_papers?limit=0", 400, "limit"),
        ("/api/daily_papers?limit=abc", 400, "limit"),
        ("/api/daily_papers?p=-1", 400, "p"),
        ("/api/daily_papers?sort=upvotes", 400, "sort"),
        ("/api/daily_papers?date=2026-05-26&week=2026-W22", 400, "only one of"),
        ("/api/daily_papers?month=2026-00", 400, "not a month"),
        ("/api/papers/search", 400, "q"),
        ("/api/papers/search?q=x&limit=121", 400, "limit"),
        ("/api/papers/not-an-id", 404, "Paper not found"),
        ("/papers/2605.99999.md", 404, "Paper not found"),
    ],
)
def test_bad_requests_answer_json_errors(client, papers, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    body = response.json()["error"] if url.startswith("/api") else response.content.decode()
    assert message in body


@pytest.mark.django_db
def test_votes_and_submissions_need_a_token(papers, settings):
    client = Client()
    denied = client.post("/api/votes/2605.00002", {"vote": True}, content_type="application/json")
    assert denied.status_code == 401 and "Bearer" in denied.json()["error"]
    token, secret = ApiToken.create_for(papers, "script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    voted = client.post(
        "/api/votes/2605.00002", {"vote": True}, content_type="application/json", **auth
    )
    assert voted.json() == {"id": "2605.00002", "voted": True, "upvotes": 6}
    again = client.post(
        "/api/votes/2605.00002", {"vote": True}, content_type="application/json", **auth
    )
    assert again.json()["upvotes"] == 6
    undone = client.post(
        "/api/votes/2605.00002", {"vote": False}, content_type="application/json", **auth
    )
    assert undone.json()["upvotes"] == 5
    # Submitting a paper that is in the feed counts the submitter's upvote: 200, not a new entry.
    duplicate = client.post(
        "/api/submissions", {"paper_id": "2605.00002"}, content_type="application/json", **auth
    )
    assert duplicate.status_code == 200
    assert (duplicate.json()["paper"]["id"], duplicate.json()["upvotes"]) == ("2605.00002", 6)
    token.refresh_from_db()
    assert token.last_used_at is not None and token.key_hash != secret
    papers.is_active = False
    papers.save()
    assert (
        client.post(
            "/api/votes/2605.00002", {"vote": True}, content_type="application/json", **auth
        ).status_code
        == 401
    )


@pytest.mark.django_db
def test_api_submission_fetches_from_arxiv(papers, settings, today):
    from tests.ingest.test_ingest import xml
    from tests.replay_server import ReplayServer

    _, secret = ApiToken.create_for(papers, "script")
    with ReplayServer(lambda: 0.0) as server:
        settings.ARXIV_API_URL = f"{server.url}/api/query"
        settings.ARXIV_DELAY = 0.0
        server.route("/api/query", xml("api_2512.24880.xml"), id_list="2512.24880")
        today(dt.date(2026, 1, 6))  # six days after its first version
        response = Client().post(
            "/api/submissions",
            {"paper_id": "https://arxiv.org/abs/2512.24880v2"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
    assert response.status_code == 201
    body = response.json()
    assert body["paper"]["id"] == "2512.24880" and body["submittedBy"]["user"] == "ada"


@pytest.mark.django_db
def test_tokens_are_made_and_revoked_on_the_profile_page(papers):
    client = Client()
    client.force_login(papers)
    page = client.post("/settings/tokens", {"name": "laptop"}, follow=True).content.decode()
    token = ApiToken.objects.get(user=papers)
    assert (
        token.name == "laptop" and f"{token.prefix}" in page and "will not be shown again" in page
    )
    assert "API tokens" not in Client().get("/users/ada").content.decode()  # only to its owner
    client.post(f"/settings/tokens/{token.pk}/revoke")
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_the_openapi_document_and_docs_are_served(client):
    schema = client.get("/api/openapi.json").json()
    assert {"/api/daily_papers", "/api/papers/search", "/api/submissions"} <= set(schema["paths"])
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"cdn.jsdelivr" not in docs.content  # served locally


# --- RSS and Atom --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/feeds/daily.rss", ["2605.00005"]),
        ("/feeds/daily.atom", ["2605.00005"]),
        # Trending holds no zero-vote paper (2605.00004).
        ("/feeds/trending.rss", ["2605.00005", "2605.00003", "2605.00001", "2605.00002"]),
        ("/feeds/trending.atom", None),
        ("/feeds/category/cs.CV.rss", ["2605.00002"]),
        ("/feeds/category/math.AP.atom", ["2605.00005"]),
        ("/feeds/arxiv/cs.LG.rss", ["2605.00004", "2605.00003", "2605.00002", "2605.00001"]),
        ("/feeds/arxiv/math.AP.atom", ["2605.00005"]),
        ("/feeds/search.rss?q=diffusion", None),
        ("/feeds/search.atom?q=analytical+engine", ["2605.00001"]),
    ],
)
def test_feeds_parse_without_errors(client, papers, url, expected):
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version in ("rss20", "atom10")
    links = [entry.link for entry in parsed.entries]
    assert all(link.startswith("http://testserver/papers/") for link in links)
    if expected is not None:
        assert [link.rsplit("/", 1)[1] for link in links] == expected
    assert parsed.entries[0].title and parsed.entries[0].summary


@pytest.mark.django_db
def test_bad_feed_requests_are_404s(client):
    assert client.get("/feeds/search.rss").status_code == 404
    assert client.get("/feeds/category/%3Cx%3E.rss").status_code == 404


def test_the_daily_items_json_round_trips():
    from dailypapers.api.shapes import hf_time

    assert (
        hf_time(dt.datetime(2026, 5, 26, 8, 0, 0, 123456, tzinfo=UTC)) == "2026-05-26T08:00:00.123Z"
    )
    assert json.dumps(hf_time(None)) == "null"


@pytest.mark.django_db
def test_a_page_of_daily_papers_costs_the_same_queries_whatever_it_holds(
    papers, client, django_assert_max_num_queries
):
    """The API shows fields the cards leave out (stars, keywords): loaded with the page, not by
    a query per paper (at 3M papers, 62 queries for 30 papers before)."""
    with django_assert_max_num_queries(4) as one_day:
        assert len(client.get("/api/daily_papers", {"date": "2026-05-26"}).json()) == 3
    with django_assert_max_num_queries(len(one_day.captured_queries)):
        everything = client.get("/api/daily_papers", {"limit": 100}).json()
    assert len(everything) == 6
    ada = next(item["paper"] for item in everything if item["paper"]["id"] == "2605.00001")
    assert ada["githubStars"] == 120 and ada["ai_keywords"] == ["engines"]
