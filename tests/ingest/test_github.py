"""GitHub stars of the papers' code repositories, against a local server replaying the shape of
GitHub's REST API answers (`GET /repos/{owner}/{repo}`: 200 with an ETag, 304, 404, and the
rate limit's 403)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from dailypapers.feed.models import DailyEntry
from dailypapers.ingest import github
from dailypapers.ingest.models import CodeRepo
from dailypapers.papers.models import Paper
from tests.replay_server import Reply

REPO = (Path(__file__).parents[1] / "fixtures" / "github" / "repo.json").read_bytes()
ETAG = 'W/"4f3c9bd1e6fd6a1b8d9c0e6f0b3a7f25c1e2a9d8b7c6f5e4d3c2b1a0f9e8d7c6"'
HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "ETag": ETAG,
    "x-ratelimit-limit": "60",
    "x-ratelimit-remaining": "59",
    "x-github-api-version-selected": "2022-11-28",
}


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/facebookresearch/dinov2", "facebookresearch/dinov2"),
        ("https://github.com/FacebookResearch/DINOv2.git", "facebookresearch/dinov2"),
        ("http://www.github.com/a-b/c.d_e/tree/main/src", "a-b/c.d_e"),
        ("https://github.com/owner/repo#readme", "owner/repo"),
        ("https://gitlab.com/owner/repo", ""),
        ("https://github.com/owner", ""),
        ("https://github.com/orgs/owner/repo", ""),
        ("https://github.com.evil.example/owner/repo", ""),
    ],
)
def test_repository_names(url, name):
    assert github.repo_name(url) == name


def feed_paper(arxiv_id: str, code_url: str, votes: int = 0) -> Paper:
    paper = Paper.objects.create(
        arxiv_id=arxiv_id, title=f"Paper {arxiv_id}", code_url=code_url, upvotes_imported=votes
    )
    DailyEntry.objects.create(
        paper=paper, day=dt.date(2026, 5, 28), submitted_at=dt.datetime(2026, 5, 28, tzinfo=dt.UTC)
    )
    return paper


@pytest.fixture
def api(arxiv, settings):
    settings.GITHUB_API_URL = arxiv.url
    return arxiv


@pytest.mark.django_db
def test_stars_are_fetched_once_per_repository_then_conditionally(
    api, polite, clock, settings, client
):
    settings.GITHUB_TOKEN = "ghp_test"
    one = feed_paper("2605.00001", "https://github.com/facebookresearch/dinov2", votes=1)
    two = feed_paper("2605.00002", "https://github.com/FacebookResearch/dinov2.git", votes=9)
    gone = feed_paper("2605.00003", "https://github.com/someone/deleted")
    feed_paper("2605.00004", "https://gitlab.com/x/y")
    api.route(
        "/repos/facebookresearch/dinov2", Reply(200, REPO, HEADERS), Reply(304, b"", {"ETag": ETAG})
    )
    api.route("/repos/someone/deleted", Reply(404, b'{"message": "Not Found", "status": "404"}'))
    result = github.refresh(polite)
    assert (result.checked, result.changed, result.missing) == (2, 1, 1)
    for paper in (one, two):
        paper.refresh_from_db()
        assert paper.github_stars == 8712
        assert paper.github_pushed_at == dt.datetime(2024, 5, 28, 17, 20, 10, tzinfo=dt.UTC)
    gone.refresh_from_db()
    assert gone.github_stars is None
    first = api.hits[0]
    assert first.headers["Authorization"] == "Bearer ghp_test"
    assert first.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert "If-None-Match" not in first.headers
    # Not again within a day; the next day's look is conditional and a 304 changes nothing.
    assert github.due_repos() == {}
    later = timezone.now() + dt.timedelta(days=2)
    repos = github.due_repos(now=later)
    assert set(repos) == {"facebookresearch/dinov2", "someone/deleted"}
    api.hits.clear()
    result = github.refresh(polite, {"facebookresearch/dinov2": repos["facebookresearch/dinov2"]})
    assert (result.unchanged, result.changed) == (1, 0)
    assert api.hits[0].headers["If-None-Match"] == ETAG
    one.refresh_from_db()
    assert one.github_stars == 8712
    assert all(wait >= 1 for wait in clock.sleeps)  # spaced (the polite client)
    # Cards show the stars; "GitHub stars" sorts by them; the API gives HF's shape and the code.
    page = client.get("/papers/date/2026-05-28", {"sort": "github"}).content.decode()
    assert page.index("Paper 2605.00002") < page.index("Paper 2605.00003")
    assert "&#9733;&thinsp;8,712" in page and ">GitHub stars</option>" in page
    repos = client.get("/api/arxiv/2605.00001/repos").json()
    assert repos == {
        "models": [],
        "datasets": [],
        "spaces": [],
        "code": [
            {
                "url": "https://github.com/facebookresearch/dinov2",
                "stars": 8712,
                "pushedAt": "2024-05-28T17:20:10.000Z",
            }
        ],
    }
    assert client.get("/api/arxiv/2605.99999/repos").status_code == 404


@pytest.mark.django_db
def test_a_used_up_rate_limit_stops_the_run_and_says_until_when(api, polite):
    feed_paper("2605.00001", "https://github.com/a/one")
    feed_paper("2605.00002", "https://github.com/b/two")
    reset = int(dt.datetime(2026, 12, 4, 21, 30, tzinfo=dt.UTC).timestamp())
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    api.route("/repos/a/one", Reply(403, b'{"message": "API rate limit exceeded"}', limited))
    api.route("/repos/b/two", Reply(200, REPO, HEADERS))
    result = github.refresh(polite)
    assert result.stopped == "GitHub's rate limit is used up until 21:30 UTC"
    assert [hit.path for hit in api.hits] == ["/repos/a/one"]
    assert "stopped" in github.summary(result)


@pytest.mark.django_db
def test_odd_answers_are_errors_not_crashes(api, polite):
    feed_paper("2605.00001", "https://github.com/a/one")
    api.route("/repos/a/one", Reply(200, b"<html>not json</html>", {"Content-Type": "text/html"}))
    result = github.refresh(polite)
    assert result.errors == 1
    row = CodeRepo.objects.get()
    assert row.status == CodeRepo.ERROR and "unexpected answer" in row.message


@pytest.mark.django_db
def test_the_command(api, settings, capsys):
    settings.GITHUB_DELAY = 0
    feed_paper("2605.00001", "https://github.com/facebookresearch/dinov2")
    api.route("/repos/facebookresearch/dinov2", Reply(200, REPO, HEADERS))
    call_command("github", "refresh")
    assert capsys.readouterr().out.strip() == "GitHub: 1 looked at, 1 changed."
