"""Following another instance (`DAILYPAPERS_UPSTREAMS`): its entries with their origin, its
votes kept apart from local ones, two upstreams combined, bad answers that change nothing.

The upstream is a replay server answering with a recorded real answer of a dailypapers
instance's /api/daily_papers (tests/fixtures/upstream/README.md)."""

import datetime as dt
import json
import logging
import socket
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from dailypapers.community import services
from dailypapers.core.http import PoliteClient
from dailypapers.feed import curation
from dailypapers.feed.models import DailyEntry, UpstreamCount
from dailypapers.ingest import harvest
from dailypapers.ingest.harvest import IngestError, configured_sources, run_due, run_source
from dailypapers.ingest.models import IngestState
from dailypapers.papers.models import Paper
from tests.conftest import FakeClock
from tests.replay_server import UNSIZED, ReplayServer, Reply

DAY = dt.date(2026, 5, 28)
RECORDED = (
    Path(__file__).parents[1] / "fixtures" / "upstream" / "daily_papers-2026-05-28.json"
).read_bytes()
ITEMS = json.loads(RECORDED)
TOP = "2605.28820"  # the day's most upvoted paper on the upstream: 42 upvotes, 2 comments


def json_reply(body: bytes | list) -> Reply:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Reply(200, data, {"Content-Type": "application/json; charset=utf-8"})


def with_votes(upvotes: dict[str, int]) -> list:
    items = json.loads(RECORDED)
    for item in items:
        if item["paper"]["id"] in upvotes:
            item["paper"]["upvotes"] = item["upvotes"] = upvotes[item["paper"]["id"]]
    return items


class Upstream:
    """A replay server answering as an instance whose only day in the window is DAY."""

    def __init__(self, clock: FakeClock) -> None:
        self.server = ReplayServer(clock.time)
        self.client = PoliteClient(delay=0.0, retries=1, sleep=clock.sleep, clock=clock.time)

    @property
    def url(self) -> str:
        return self.server.url

    def answer(self, reply: Reply | str) -> None:
        self.server.route("/api/daily_papers", json_reply([]))
        self.server.route("/api/daily_papers", reply, date=DAY.isoformat())

    def pull(self) -> harvest.RunResult:
        return run_source("upstream", self.url, client=self.client)


@pytest.fixture
def upstreams(today, settings):
    today(DAY)
    settings.HF_REFRESH_DAYS = 1
    settings.INGEST_SOURCES, settings.INGEST_CATEGORIES = [], []
    made = []

    def make() -> Upstream:
        upstream = Upstream(FakeClock())
        upstream.server.__enter__()
        upstream.answer(json_reply(RECORDED))
        made.append(upstream)
        return upstream

    yield make
    for upstream in made:
        upstream.client.close()
        upstream.server.__exit__()


def person(name: str) -> User:
    return User.objects.create_user(name, f"{name}@example.org", "x" * 12)


def snapshot() -> tuple:
    return (
        sorted(Paper.objects.values_list("arxiv_id", "upvotes_imported", "upvotes_local")),
        sorted(DailyEntry.objects.values_list("paper__arxiv_id", "day", "source", "origin")),
        sorted(UpstreamCount.objects.values_list("paper__arxiv_id", "origin", "upvotes")),
    )


@pytest.mark.django_db
def test_an_upstream_s_day_enters_the_feed_with_its_origin_and_votes(upstreams):
    upstream = upstreams()
    result = upstream.pull()
    assert [h.query["date"] for h in upstream.server.hits] == ["2026-05-27", "2026-05-28"]
    assert (result.fetched, result.counts.new, result.counts.entered_feed) == (29, 29, 29)
    entries = DailyEntry.objects.select_related("paper")
    assert {(e.day, e.source, e.origin) for e in entries} == {(DAY, "upstream", upstream.url)}
    top = Paper.objects.get(arxiv_id=TOP)
    assert (top.upvotes_imported, top.upvotes_local, top.upvotes) == (42, 0, 42)
    assert (top.comments_imported, top.num_comments) == (2, 2)
    assert sum(Paper.objects.values_list("upvotes", flat=True)) == sum(
        i["paper"]["upvotes"] for i in ITEMS
    )
    assert top.entry.origin_name == upstream.url.removeprefix("http://")

    # A local vote adds to the upstream's; a re-pull neither doubles them nor erases it.
    services.set_vote(person("ada"), top, True)
    upstream.pull()
    upstream.pull()
    top.refresh_from_db()
    assert (top.upvotes_imported, top.upvotes_local, top.upvotes) == (42, 1, 43)
    assert DailyEntry.objects.count() == 29 and UpstreamCount.objects.count() == 29

    # The upstream's votes grow: the next pull refreshes them, the local vote stays.
    upstream.answer(json_reply(with_votes({TOP: 50})))
    upstream.pull()
    top.refresh_from_db()
    assert (top.upvotes_imported, top.upvotes_local, top.upvotes) == (50, 1, 51)


@pytest.mark.django_db
def test_two_upstreams_votes_on_one_paper_combine_as_the_largest(upstreams):
    community, lab = upstreams(), upstreams()
    lab.answer(json_reply(with_votes({TOP: 60})))
    community.pull()
    lab.pull()
    top = Paper.objects.get(arxiv_id=TOP)
    services.set_vote(person("ada"), top, True)
    top.refresh_from_db()
    # Not 42 + 60: an instance that follows another repeats its votes.
    assert (top.upvotes_imported, top.upvotes_local, top.upvotes) == (60, 1, 61)
    assert dict(top.upstream_counts.values_list("origin", "upvotes")) == {
        community.url: 42,
        lab.url: 60,
    }
    # The entry keeps the first instance it came from.
    assert top.entry.origin == community.url
    assert DailyEntry.objects.filter(origin=lab.url).count() == 0

    # Pulled again, in the other order, and with the lab's count gone down: still the largest.
    lab.answer(json_reply(with_votes({TOP: 7})))
    lab.pull()
    community.pull()
    top.refresh_from_db()
    assert (top.upvotes_imported, top.upvotes_local, top.upvotes) == (42, 1, 43)
    assert UpstreamCount.objects.count() == 58


@pytest.mark.django_db
def test_an_upstream_never_takes_over_a_local_entry(upstreams):
    ada = person("ada")
    top = Paper.objects.create(arxiv_id=TOP, title="Ours first")
    local = curation.add_to_feed(top, source=DailyEntry.USER, user=ada, day=DAY)
    assert local is not None
    services.set_vote(ada, top, True)
    upstream = upstreams()
    upstream.pull()
    entry = DailyEntry.objects.get(paper__arxiv_id=TOP)
    assert (entry.pk, entry.submitted_by, entry.source, entry.origin) == (local.pk, ada, "user", "")
    top.refresh_from_db()
    assert (top.upvotes_imported, top.upvotes_local, top.upvotes) == (42, 1, 43)
    assert DailyEntry.objects.filter(origin=upstream.url).count() == 28


@pytest.mark.django_db
def test_with_upstream_entries_by_rules_only_the_local_topic_rule_picks_from_upstreams(
    upstreams, settings
):
    settings.UPSTREAM_ENTRIES = "rules"
    settings.PROMOTE_KEYWORDS, settings.PROMOTE_WITHIN_DAYS = ["reinforcement learning"], 30
    picked = {
        i["paper"]["id"]
        for i in ITEMS
        if "reinforcement learning" in (i["paper"]["title"] + " " + i["paper"]["summary"]).lower()
    }
    assert 0 < len(picked) < len(ITEMS)
    upstream = upstreams()
    result = upstream.pull()
    assert (result.counts.new, result.counts.entered_feed) == (29, len(picked))
    entries = DailyEntry.objects.all()
    assert {e.paper.arxiv_id for e in entries} == picked
    assert {(e.day, e.source, e.origin) for e in entries} == {(DAY, "rule", upstream.url)}
    # The others are in the catalogue, with the upstream's votes.
    assert Paper.objects.get(arxiv_id=TOP).upvotes_imported == 42
    # Without a topic rule, nothing of the upstreams enters.
    settings.PROMOTE_KEYWORDS = []
    DailyEntry.objects.all().delete()
    assert upstream.pull().counts.entered_feed == 0


@pytest.mark.django_db
def test_followed_entries_show_their_origin_on_the_cards_the_paper_page_and_the_api(upstreams):
    upstream = upstreams()
    upstream.pull()
    name = upstream.url.removeprefix("http://")
    client = Client()
    day_page = client.get(f"/papers/date/{DAY.isoformat()}").content.decode()
    assert day_page.count(f"via {name}") == 29
    paper_page = client.get(f"/papers/{TOP}").content.decode()
    assert f'via <a href="{upstream.url}"' in paper_page
    assert "(42 upvotes there, 0 here)" in paper_page
    # The API keeps Hugging Face's shapes: the total votes, so an instance following this one
    # gets them (the origin has no place there).
    items = client.get(f"/api/daily_papers?date={DAY.isoformat()}").json()
    assert [(i["paper"]["id"], i["paper"]["upvotes"]) for i in items] == [
        (i["paper"]["id"], i["paper"]["upvotes"]) for i in ITEMS
    ]
    assert set(items[0]) == set(ITEMS[0])


class Silent:
    """A server that accepts connections and never answers (a hung upstream)."""

    def __enter__(self) -> str:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


BAD_ANSWERS = {
    "html": (Reply(200, b"<!doctype html><title>Maintenance</title>", {}), "expected JSON"),
    "error": (Reply(500, b"Internal Server Error"), "HTTP 500, gave up after 2 attempts"),
    "object": (json_reply(b'{"error": "no"}'), "expected a JSON array"),
    "nul": (json_reply(RECORDED[:5000] + b"\x00" + RECORDED[5000:]), "holds NUL bytes"),
    "huge": (json_reply(RECORDED), "larger than 100,000 bytes"),
    "cut": (
        Reply(200, RECORDED, {UNSIZED: "", "Content-Length": f"{len(RECORDED) + 9}"}),
        "broke off",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [*BAD_ANSWERS, "timeout"])
def test_a_bad_upstream_answer_is_logged_and_changes_nothing(
    bad, upstreams, settings, monkeypatch, caplog
):
    upstream = upstreams()
    upstream.pull()
    Paper.objects.filter(arxiv_id=TOP).update(upvotes_local=3)
    before = snapshot()
    settings.UPSTREAMS = [upstream.url]
    IngestState.objects.update(next_run_at=None)  # due now
    if bad == "timeout":
        with Silent() as url:
            settings.UPSTREAMS = [url]
            with (
                PoliteClient(delay=0.0, retries=0, timeout=httpx.Timeout(0.3)) as client,
                caplog.at_level(logging.ERROR),
            ):
                failures = run_due(client)
        expected = "ReadTimeout"
    else:
        reply, expected = BAD_ANSWERS[bad]
        monkeypatch.setattr(harvest, "MAX_PAGE_BYTES", 100_000 if bad == "huge" else 2**24)
        upstream.answer(reply)
        with caplog.at_level(logging.ERROR):
            failures = run_due(upstream.client)
    (name,) = failures
    assert name == f"upstream:{settings.UPSTREAMS[0]}"
    assert expected in failures[name]
    assert any(expected in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert snapshot() == before


@pytest.mark.django_db
def test_upstreams_are_scheduled_and_pulled_now_by_the_cli(upstreams, settings, capsys):
    community, lab = upstreams(), upstreams()
    settings.UPSTREAMS, settings.ARXIV_DELAY = [community.url, lab.url], 0.0
    assert configured_sources() == [("upstream", community.url), ("upstream", lab.url)]
    call_command("ingest", "upstream", "--no-progress")
    out = capsys.readouterr().out
    assert f"upstream:{community.url}: 29 papers" in out and "29 entered the Daily feed" in out
    assert f"upstream:{lab.url}: 29 papers" in out and "0 entered the Daily feed" in out
    settings.UPSTREAMS = []
    call_command("ingest", "upstream", "--upstream", lab.url + "/", "--no-progress")
    assert f"upstream:{lab.url}: 29 papers" in capsys.readouterr().out
    assert run_due(community.client) == {}  # nothing configured, nothing due
    with pytest.raises(Exception, match="no upstream: set DAILYPAPERS_UPSTREAMS"):
        call_command("ingest", "upstream", "--no-progress")
    with pytest.raises(IngestError):
        run_source("upstream", "http://127.0.0.1:9", client=community.client)
