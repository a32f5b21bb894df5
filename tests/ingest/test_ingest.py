"""The arXiv sources against a real HTTP server on 127.0.0.1 replaying arXiv's response formats."""

import datetime as dt
import email.utils
import io
import time
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from dailypapers.core.http import FetchError, PoliteClient, retry_after_seconds
from dailypapers.feed.models import DailyEntry
from dailypapers.ingest.harvest import IngestError, run_due, run_source
from dailypapers.ingest.models import IngestState
from dailypapers.ingest.parse import ApiError, parse_api
from dailypapers.ingest.submit import SubmitError, submit_paper
from dailypapers.ingest.xmlsafe import XMLError, parse_xml
from dailypapers.papers.models import Paper
from tests.replay_server import RESET, ReplayServer, Reply

FIXTURES = Path(__file__).parents[1] / "fixtures" / "arxiv"
OAI_FIRST = {"verb": "ListRecords", "metadataPrefix": "arXivRaw"}
TOKEN_1, TOKEN_2 = "6960524|1001", "6960524|2001"
ALL_SIX = {f"2605.2100{i}" for i in range(1, 7)}


def xml(name: str) -> Reply:
    return Reply(200, (FIXTURES / name).read_bytes(), {"Content-Type": "text/xml; charset=utf-8"})


def oai_pages(server: ReplayServer) -> None:
    server.route("/oai", xml("oai_page1.xml"), **OAI_FIRST)
    server.route("/oai", xml("oai_page2.xml"), resumptionToken=TOKEN_1)
    server.route("/oai", xml("oai_page3.xml"), resumptionToken=TOKEN_2)


def arxiv_ids() -> set[str]:
    return set(Paper.objects.values_list("arxiv_id", flat=True))


def spacing(server: ReplayServer) -> list[float]:
    return [b.at - a.at for a, b in zip(server.hits, server.hits[1:], strict=False)]


@pytest.mark.django_db
def test_a_multi_page_oai_harvest_follows_resumption_tokens(arxiv, polite):
    oai_pages(arxiv)
    result = run_source("oaipmh", "cs.LG", client=polite, from_date=dt.date(2026, 5, 25))
    assert (result.fetched, result.pages, result.counts.new) == (6, 3, 6)
    assert arxiv_ids() == ALL_SIX
    first, *rest = arxiv.hits
    assert first.query == {**OAI_FIRST, "set": "cs:cs:LG", "from": "2026-05-25"}
    assert [h.query for h in rest] == [
        {"verb": "ListRecords", "resumptionToken": TOKEN_1},
        {"verb": "ListRecords", "resumptionToken": TOKEN_2},
    ]
    assert all(gap >= 3.0 for gap in spacing(arxiv))
    state = IngestState.objects.get(name="oaipmh:cs.LG")
    assert state.cursor == {"set": "cs:cs:LG", "from": "2026-05-27", "until": None, "token": None}
    assert (state.last_error, state.failures, state.papers_seen) == ("", 0, 6)
    paper = Paper.objects.get(arxiv_id="2605.21001")
    assert paper.title == "Sparse Mixture-of-Experts Routing Without Load Balancing Losses"
    assert paper.authors == ["Mei Chen", "Tobias Keller", "Ana Ruiz"]
    assert paper.categories == ["cs.LG", "cs.AI"]
    assert paper.code_url == "https://github.com/meichen/moe-routing"
    # A harvest fills the catalogue, dated by v1's day; it does not fill the Daily feed.
    assert paper.listed_on == dt.date(2026, 5, 25)
    assert not DailyEntry.objects.exists()


@pytest.mark.django_db
def test_withdrawn_and_deleted_papers_are_marked(arxiv, polite):
    oai_pages(arxiv)
    result = run_source("oaipmh", "cs.LG", client=polite, from_date=dt.date(2026, 5, 25))
    withdrawn = Paper.objects.get(arxiv_id="2605.21005")
    assert withdrawn.withdrawn and withdrawn.latest_version == 2
    assert list(withdrawn.versions.values_list("version", flat=True)) == [1, 2]
    # 2605.21002 arrives on page 1, then page 3 has its header with status="deleted"
    assert Paper.objects.get(arxiv_id="2605.21002").withdrawn
    assert result.withdrawn == 2
    assert not Paper.objects.get(arxiv_id="2605.21001").withdrawn


@pytest.mark.django_db
def test_a_503_with_retry_after_is_honoured_in_both_forms(arxiv, polite, clock):
    http_date = email.utils.formatdate(clock.now + 12, usegmt=True)
    arxiv.route(
        "/rss/cs.LG",
        Reply(503, b"busy", {"Retry-After": "7"}),
        Reply(503, b"busy", {"Retry-After": http_date}),
        xml("listing_cs.LG.xml"),
    )
    run_source("listing", "cs.LG", client=polite)
    assert len(arxiv.hits) == 3
    assert clock.sleeps[0] == 7.0
    assert clock.sleeps[1] == pytest.approx(12 - 7, abs=1.0)  # the date was 12 s after the start
    assert all(gap >= 3.0 for gap in spacing(arxiv))
    assert Paper.objects.filter(arxiv_id="2605.23001").exists()


@pytest.mark.django_db
def test_a_connection_reset_mid_harvest_resumes_from_the_stored_token(arxiv, polite):
    oai_pages(arxiv)
    arxiv.route("/oai", RESET, resumptionToken=TOKEN_1)  # page 2 drops the connection
    with pytest.raises(IngestError, match="gave up after 3 attempts"):
        run_source("oaipmh", "cs.LG", client=polite, from_date=dt.date(2026, 5, 25))
    state = IngestState.objects.get(name="oaipmh:cs.LG")
    assert state.cursor["token"] == TOKEN_1
    assert state.failures == 1 and "gave up" in state.last_error
    assert state.next_run_at > state.last_run_at
    assert arxiv_ids() == {"2605.21001", "2605.21002", "2605.21003"}  # page 1 and its token

    arxiv.route("/oai", xml("oai_page2.xml"), resumptionToken=TOKEN_1)  # the network is back
    hits_before = len(arxiv.hits)
    result = run_source("oaipmh", "cs.LG", client=polite)
    assert arxiv.hits[hits_before].query == {"verb": "ListRecords", "resumptionToken": TOKEN_1}
    assert arxiv_ids() == ALL_SIX
    assert Paper.objects.count() == Paper.objects.filter(listed_on__isnull=False).count() == 6
    assert (result.counts.new, result.pages) == (3, 2)
    state.refresh_from_db()
    assert (state.failures, state.last_error, state.cursor["token"]) == (0, "", None)


@pytest.mark.django_db
def test_a_malformed_page_writes_nothing_and_keeps_the_token(arxiv, polite):
    oai_pages(arxiv)
    arxiv.route("/oai", xml("oai_truncated.xml"), resumptionToken=TOKEN_1)
    with pytest.raises(IngestError, match="not well-formed XML"):
        run_source("oaipmh", "cs.LG", client=polite, from_date=dt.date(2026, 5, 25))
    assert arxiv_ids() == {"2605.21001", "2605.21002", "2605.21003"}
    state = IngestState.objects.get(name="oaipmh:cs.LG")
    assert state.cursor["token"] == TOKEN_1
    assert "not well-formed XML" in state.last_error

    arxiv.route("/oai", xml("oai_page2.xml"), resumptionToken=TOKEN_1)
    run_source("oaipmh", "cs.LG", client=polite)
    assert arxiv_ids() == ALL_SIX


@pytest.mark.django_db
def test_an_expired_token_restarts_the_list(arxiv, polite):
    oai_pages(arxiv)
    arxiv.route("/oai", xml("oai_badtoken.xml"), resumptionToken=TOKEN_2)
    state = IngestState.objects.create(
        name="oaipmh:cs.LG",
        kind="oaipmh",
        category="cs.LG",
        cursor={"set": "cs:cs:LG", "from": "2026-05-25", "until": None, "token": TOKEN_2},
    )
    with pytest.raises(IngestError, match="badResumptionToken"):
        # restarted once: page 1, page 2, then the same expired token again
        run_source("oaipmh", "cs.LG", client=polite)
    assert arxiv.hits[1].query == {**OAI_FIRST, "set": "cs:cs:LG", "from": "2026-05-25"}
    arxiv.route("/oai", xml("oai_page3.xml"), resumptionToken=TOKEN_2)
    run_source("oaipmh", "cs.LG", client=polite)
    state.refresh_from_db()
    assert state.cursor["token"] is None and arxiv_ids() == ALL_SIX


@pytest.mark.django_db
def test_no_records_is_a_successful_empty_harvest(arxiv, polite):
    arxiv.route("/oai", xml("oai_norecords.xml"), **OAI_FIRST)
    result = run_source("oaipmh", "cs", client=polite, from_date=dt.date(2026, 6, 5))
    assert result.fetched == 0
    assert arxiv.hits[0].query["set"] == "cs"
    assert IngestState.objects.get(name="oaipmh:cs").last_error == ""


@pytest.mark.django_db
def test_a_second_version_updates_the_paper_and_keeps_its_listing_day(arxiv, polite):
    oai_pages(arxiv)
    run_source("oaipmh", "cs.LG", client=polite, from_date=dt.date(2026, 5, 25))
    arxiv.route("/oai", xml("oai_v2.xml"), **OAI_FIRST, **{"from": "2026-05-27"})
    result = run_source("oaipmh", "cs.LG", client=polite)  # from the stored high-water mark
    assert result.counts.updated == 1
    paper = Paper.objects.get(arxiv_id="2605.21001")
    assert paper.title == "Sparse Mixture-of-Experts Routing Without Auxiliary Losses"
    assert paper.latest_version == 2
    assert paper.categories == ["cs.LG", "cs.AI", "cs.CL"]
    assert list(paper.versions.values_list("version", flat=True)) == [1, 2]
    assert paper.revised_at.date() == dt.date(2026, 6, 4)
    assert paper.listed_on == dt.date(2026, 5, 25)
    assert Paper.objects.count() == 6


@pytest.mark.django_db
def test_the_daily_listing_dates_new_and_cross_lists_on_the_announcement_day(arxiv, polite):
    arxiv.route("/rss/cs.LG", xml("listing_cs.LG.xml"))
    result = run_source("listing", "cs.LG", client=polite)
    assert result.fetched == 4
    announced = set(
        Paper.objects.filter(listed_on=dt.date(2026, 5, 28)).values_list("arxiv_id", flat=True)
    )
    assert announced == {"2605.23001", "2605.23002", "2605.22890"}
    assert not DailyEntry.objects.exists()  # the catalogue, not the feed
    replaced = Paper.objects.get(arxiv_id="2604.11111")  # a replacement is not news
    assert replaced.latest_version == 3 and replaced.listed_on is None
    paper = Paper.objects.get(arxiv_id="2605.23001")
    assert paper.authors == ["Marta Silva", "Jun Park", "Ahmed Ali"]
    assert paper.abstract.startswith("We distil long-context retrieval")
    assert paper.code_url == "https://github.com/ldr/selfdistill"
    assert IngestState.objects.get(name="listing:cs.LG").cursor == {"last_listing": "2026-05-28"}


@pytest.mark.django_db
def test_the_api_source_fetches_newest_first_until_what_it_has_seen(arxiv, polite):
    arxiv.route("/api/query", xml("api_cat_page1.xml"), start="0")
    arxiv.route("/api/query", xml("api_cat_page2.xml"), start="2")
    state = IngestState.objects.create(
        name="arxiv-api:cs.LG",
        kind="arxiv-api",
        category="cs.LG",
        cursor={"newest": "2026-05-26T12:00:00+00:00"},
    )
    result = run_source("arxiv-api", "cs.LG", client=polite, max_results=4)
    assert arxiv.hits[0].query["search_query"] == "cat:cs.LG"
    assert arxiv.hits[0].query["sortBy"] == "submittedDate"
    assert arxiv_ids() == {"2605.22010", "2605.22004", "2605.21990"}  # not the older one
    assert result.pages == 2
    state.refresh_from_db()
    assert state.cursor == {"newest": "2026-05-27T17:40:00+00:00"}
    paper = Paper.objects.get(arxiv_id="2605.22004")
    assert (paper.journal_ref, paper.doi) == ("NeurIPS 2026", "10.48550/arXiv.2605.22004")
    run_source("arxiv-api", "cs.LG", client=polite, max_results=4)
    assert len(arxiv.hits) == 3  # the next run stops at the first page: nothing newer


@pytest.mark.django_db
def test_submission_by_id_fetches_the_paper_into_todays_feed(arxiv, polite, today):
    user = User.objects.create_user("ada")
    day = today(dt.date(2026, 1, 2))
    arxiv.route("/api/query", xml("api_2512.24880.xml"), id_list="2512.24880")
    submission = submit_paper("arXiv:2512.24880v1", user=user, client=polite)
    paper = submission.paper
    assert submission.created
    assert paper.title == "mHC: Manifold-Constrained Hyper-Connections"
    assert paper.latest_version == 2
    assert paper.published_at == dt.datetime(2025, 12, 31, 14, 16, 26, tzinfo=dt.UTC)
    entry = DailyEntry.objects.get(paper=paper)
    assert (entry.day, entry.submitted_by, entry.source) == (day, user, "user")
    again = submit_paper("2512.24880", client=polite)
    assert (again.created, again.entry) == (False, entry)
    assert len(arxiv.hits) == 1


@pytest.mark.django_db
def test_submission_refuses_unknown_and_malformed_ids_clearly(arxiv, polite):
    arxiv.route("/api/query", xml("api_unknown.xml"), id_list="2605.99999")
    with pytest.raises(SubmitError, match=r"arXiv has no paper 2605\.99999"):
        submit_paper("2605.99999", client=polite)
    with pytest.raises(SubmitError, match="month"):
        submit_paper("2613.00001", client=polite)
    assert len(arxiv.hits) == 1  # the malformed id never reached arXiv
    assert Paper.objects.count() == 0


def test_an_api_error_entry_is_an_error():
    with pytest.raises(ApiError, match="incorrect id format"):
        parse_api((FIXTURES / "api_error.xml").read_bytes())


@pytest.mark.django_db
def test_one_failing_category_never_stops_the_others(arxiv, polite, settings):
    settings.INGEST_CATEGORIES = ["cs.CV", "cs.LG"]
    settings.INGEST_SOURCES = ["listing"]
    arxiv.route("/rss/cs.CV", Reply(500, b"internal error"))
    arxiv.route("/rss/cs.LG", xml("listing_cs.LG.xml"))
    failures = run_due(polite)
    assert list(failures) == ["listing:cs.CV"]
    assert Paper.objects.filter(arxiv_id="2605.23001").exists()
    failing = IngestState.objects.get(name="listing:cs.CV")
    assert failing.failures == 1 and "HTTP 500" in failing.last_error

    out = io.StringIO()
    call_command("ingest", "status", stdout=out)
    assert "listing:cs.CV" in out.getvalue() and "FAILING (1x)" in out.getvalue()
    assert "HTTP 500" in out.getvalue()

    hits = len(arxiv.hits)
    assert run_due(polite) == {}  # neither is due again yet
    assert len(arxiv.hits) == hits


def test_requests_are_spaced_in_real_time(tmp_path):
    with ReplayServer(time.monotonic) as server:
        server.route("/x", Reply(200, b"ok"))
        with PoliteClient(delay=0.2, lock_path=tmp_path / "lock") as client:
            for _ in range(3):
                client.get(f"{server.url}/x")
    assert all(gap >= 0.2 for gap in spacing(server))


def test_two_clients_share_the_spacing_through_the_lock_file(tmp_path, clock):
    with ReplayServer(clock.time) as server:
        server.route("/x", Reply(200, b"ok"))
        options = {"delay": 3.0, "sleep": clock.sleep, "clock": clock.time}
        first = PoliteClient(lock_path=tmp_path / "lock", **options)
        second = PoliteClient(lock_path=tmp_path / "lock", **options)
        first.get(f"{server.url}/x")
        second.get(f"{server.url}/x")
        first.close()
        second.close()
    assert clock.sleeps == [3.0]


def test_arxiv_hosts_are_never_asked_faster_than_every_3_seconds(clock):
    # The edge of the internet: arxiv.org itself is replaced by a transport that answers 200.
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="ok"))
    with PoliteClient(delay=0.5, sleep=clock.sleep, clock=clock.time, transport=transport) as c:
        c.get("https://export.arxiv.org/api/query")
        c.get("https://export.arxiv.org/api/query")
        c.get("http://127.0.0.1:9/elsewhere")
    assert clock.sleeps == [3.0, 0.5]  # 3 s between arXiv requests, the own delay elsewhere


def test_client_errors_are_not_retried(clock):
    with ReplayServer(clock.time) as server:
        server.route("/gone", Reply(404, b"no such thing"))
        client = PoliteClient(delay=0, sleep=clock.sleep, clock=clock.time)
        with client, pytest.raises(FetchError, match="answered 404"):
            client.get(f"{server.url}/gone")
    assert len(server.hits) == 1


def test_retry_after_parsing():
    now = 1_780_000_000.0
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(email.utils.formatdate(now + 30, usegmt=True), now) == 30
    assert retry_after_seconds(email.utils.formatdate(now - 30, usegmt=True), now) == 0
    assert retry_after_seconds("99999999", now) == 3600
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<r>&b;&b;</r>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        b"<r>unclosed",
        b"",
    ],
)
def test_unsafe_or_broken_xml_is_refused(document):
    with pytest.raises(XMLError):
        parse_xml(document)


@pytest.mark.django_db
def test_the_ingest_and_submit_commands(arxiv, settings, today):
    settings.ARXIV_DELAY = 0.0  # a local server: no need to wait
    today(dt.date(2026, 1, 2))
    arxiv.route("/rss/cs.LG", xml("listing_cs.LG.xml"))
    arxiv.route("/api/query", xml("api_2512.24880.xml"), id_list="2512.24880")
    out = io.StringIO()
    call_command("ingest", "listing", "--category", "cs.LG", "--no-progress", stdout=out)
    assert "listing:cs.LG: 4 papers in 1 page(s): 4 new" in out.getvalue()
    assert "0 entered the Daily feed" in out.getvalue()
    out = io.StringIO()
    call_command("submit", "2512.24880", stdout=out)
    assert "Added 2512.24880 to today's feed" in out.getvalue()
    out = io.StringIO()
    call_command("submit", "2512.24880", stdout=out)
    assert "2512.24880 is already in the feed (since 2026-01-02)" in out.getvalue()
    # An old paper: refused, unless a curator adds it.
    arxiv.route("/api/query", xml("api_2512.24880.xml"), id_list="2512.24880")
    today(dt.date(2026, 3, 1))
    DailyEntry.objects.all().delete()
    with pytest.raises(CommandError, match="only papers from the last 7 days"):
        call_command("submit", "2512.24880")
    call_command("submit", "2512.24880", "--curator", stdout=io.StringIO())
    assert DailyEntry.objects.get().source == "curator"
    with pytest.raises(CommandError, match="not an arXiv category"):
        call_command("ingest", "listing", "--category", "cs.LG;rm", "--no-progress")
    with pytest.raises(CommandError, match="at least one --category"):
        call_command("ingest", "oaipmh")


@pytest.mark.django_db
def test_the_scheduled_job_runs_the_configured_sources(arxiv, settings):
    from dailypapers.ingest.tasks import ingest_due

    settings.ARXIV_DELAY = 0.0
    settings.INGEST_CATEGORIES = ["cs.LG"]
    settings.INGEST_SOURCES = ["listing"]
    arxiv.route("/rss/cs.LG", xml("listing_cs.LG.xml"))
    assert ingest_due.call_local() == {}
    assert Paper.objects.filter(listed_on=dt.date(2026, 5, 28)).count() == 3
