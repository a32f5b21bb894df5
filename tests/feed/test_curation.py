"""The catalogue and the Daily feed kept apart: submissions, promotion rules, the `hf` source,
New on arXiv, digests, and the migration of databases made before the split."""

import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from dailypapers.community import services
from dailypapers.community.models import Profile
from dailypapers.core.http import PoliteClient
from dailypapers.digests import sending
from dailypapers.digests.models import Delivery, Subscription
from dailypapers.feed import curation
from dailypapers.feed.models import DailyEntry
from dailypapers.ingest.harvest import IngestError, run_due, run_source
from dailypapers.ingest.importer import import_files
from dailypapers.ingest.models import IngestState
from dailypapers.ingest.submit import SubmitError, submit_paper
from dailypapers.papers.models import Paper, PaperCategory
from tests.conftest import arxiv_row
from tests.replay_server import ReplayServer, Reply

UTC = dt.UTC
TODAY = dt.date(2026, 5, 28)
HF_ITEMS = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "hf" / "daily_papers.json").read_text()
)


def catalogue(arxiv_id, first_version, categories=("cs.LG",), **fields):
    paper = Paper.objects.create(
        arxiv_id=arxiv_id,
        title=fields.pop("title", f"Paper {arxiv_id}"),
        abstract=fields.pop("abstract", "An abstract."),
        categories=list(categories),
        primary_category=categories[0],
        published_at=dt.datetime.combine(first_version, dt.time(12), UTC),
        listed_on=first_version + dt.timedelta(days=1),
        **fields,
    )
    for code in categories:
        PaperCategory.objects.create(paper=paper, category=code)
    return paper


def person(name, **extra):
    user = User.objects.create_user(name, f"{name}@example.org", "x" * 12, **extra)
    Profile.objects.create(user=user, email_confirmed_at=timezone.now())
    return user


# --- submissions -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_submission_window_edges(today, settings):
    settings.SUBMIT_WINDOW_DAYS = 7
    today(TODAY)
    ada = person("ada")
    seven = catalogue("2605.00007", TODAY - dt.timedelta(days=7))
    eight = catalogue("2605.00008", TODAY - dt.timedelta(days=8))
    fresh = catalogue("2605.00010", TODAY)
    assert submit_paper("2605.00007", user=ada).created
    assert submit_paper("2605.00010", user=ada).created
    with pytest.raises(SubmitError, match="first published on May 20, 2026: only papers from"):
        submit_paper("2605.00008", user=ada)
    assert not hasattr(Paper.objects.get(pk=eight.pk), "entry")
    # A curator adds papers of any age.
    curated = submit_paper("2605.00008", user=ada, curator=True)
    assert (curated.created, curated.entry.source, curated.entry.day) == (True, "curator", TODAY)
    assert {e.paper_id for e in DailyEntry.objects.all()} == {seven.pk, eight.pk, fresh.pk}
    # A window of 0 days takes only today's papers.
    settings.SUBMIT_WINDOW_DAYS = 0
    catalogue("2605.00001", TODAY - dt.timedelta(days=1))
    with pytest.raises(SubmitError, match="last 0 days"):
        submit_paper("2605.00001", user=ada)


@pytest.mark.django_db
def test_a_curator_s_submission_through_the_page_ignores_the_window(today):
    today(TODAY)
    old = catalogue("2604.00001", TODAY - dt.timedelta(days=40))
    reader, curator = person("reader"), person("curator", is_staff=True)
    curator.groups.add(Group.objects.get(name="Curators"))
    client = Client()
    client.force_login(reader)
    refused = client.post("/submit", {"arxiv_id": "2604.00001"})
    assert refused.status_code == 400 and "a curator can add it" in refused.content.decode()
    client.force_login(curator)
    added = client.post("/submit", {"arxiv_id": "2604.00001"})
    assert added.status_code == 302
    assert DailyEntry.objects.get(paper=old).source == "curator"


@pytest.mark.django_db
def test_a_duplicate_submission_adds_the_submitter_as_a_voter(today):
    today(TODAY)
    paper = catalogue("2605.00001", TODAY)
    ada, bob = person("ada"), person("bob")
    first = services.submit_as(ada, "2605.00001")
    second = services.submit_as(bob, "2605.00001")
    third = services.submit_as(bob, "2605.00001")  # twice: still one upvote
    assert (first.created, second.created, third.created) == (True, False, False)
    assert DailyEntry.objects.filter(paper=paper).count() == 1
    assert DailyEntry.objects.get(paper=paper).submitted_by == ada
    assert Paper.objects.get(pk=paper.pk).upvotes_local == 1


# --- promotion rules ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_catalogue_papers_are_voted_and_enough_votes_promote_a_recent_one(today, settings):
    settings.PROMOTE_VOTES, settings.PROMOTE_WITHIN_DAYS = 3, 7
    today(TODAY)
    recent = catalogue("2605.00001", TODAY - dt.timedelta(days=2))
    old = catalogue("2604.00001", TODAY - dt.timedelta(days=30))
    voters = [person(f"v{i}") for i in range(4)]
    for user in voters[:2]:
        assert services.set_vote(user, recent, True).upvotes > 0
        services.set_vote(user, old, True)
    assert not DailyEntry.objects.exists()  # two votes: not yet
    services.set_vote(voters[2], recent, True)
    entry = DailyEntry.objects.get(paper=recent)
    assert (entry.source, entry.day, entry.submitted_by) == ("rule", TODAY, None)
    for user in voters:
        services.set_vote(user, old, True)
    assert Paper.objects.get(pk=old.pk).upvotes == 4
    assert not DailyEntry.objects.filter(paper=old).exists()  # too old for the rule
    # Votes taken back do not take a paper out of the feed; a fourth vote adds nothing twice.
    services.set_vote(voters[0], recent, False)
    services.set_vote(voters[3], recent, True)
    assert DailyEntry.objects.filter(paper=recent).count() == 1


@pytest.mark.django_db
def test_the_votes_rule_can_be_turned_off(today, settings):
    settings.PROMOTE_VOTES = 0
    today(TODAY)
    paper = catalogue("2605.00001", TODAY)
    for i in range(5):
        services.set_vote(person(f"v{i}"), paper, True)
    assert not DailyEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "categories, keywords, promoted",
    [
        ([], [], set()),
        (["cs.IR"], [], {"2605.00002", "2605.00003"}),
        ([], ["re-ranking"], {"2605.00003", "2605.00004"}),
        (["cs.IR"], ["re-ranking", "dense retrieval"], {"2605.00003"}),
    ],
)
def test_topic_rules_promote_new_papers_of_a_lab_s_interests(
    write_jsonl, today, settings, categories, keywords, promoted
):
    settings.PROMOTE_CATEGORIES, settings.PROMOTE_KEYWORDS = categories, keywords
    today(TODAY)
    recent = TODAY.isoformat()
    rows = [
        arxiv_row("2605.00001", listed_date=recent, abstract="Graph neural networks."),
        arxiv_row("2605.00002", listed_date=recent, categories=["cs.IR"], primary_category="cs.IR"),
        arxiv_row(
            "2605.00003",
            listed_date=recent,
            categories=["cs.IR", "cs.CL"],
            primary_category="cs.IR",
            abstract="Listwise Re-Ranking with LLMs.",
        ),
        arxiv_row("2605.00004", listed_date=recent, title="Cheap re-ranking for everyone"),
        # Old papers never pass a rule, however well they match.
        arxiv_row(
            "2301.00005",
            listed_date="2023-01-03",
            categories=["cs.IR"],
            primary_category="cs.IR",
            abstract="re-ranking",
            versions=[{"version": "v1", "created": "Mon, 2 Jan 2023 10:00:00 GMT"}],
        ),
    ]
    result = import_files("arxiv", [write_jsonl("new.jsonl", rows)])
    entered = set(DailyEntry.objects.values_list("paper__arxiv_id", flat=True))
    assert entered == promoted and result.counts.entered_feed == len(promoted)
    assert set(DailyEntry.objects.values_list("source", flat=True)) <= {"rule"}
    # Re-importing promotes nothing more (only papers new to the catalogue are considered).
    import_files("arxiv", [write_jsonl("new.jsonl", rows)])
    assert DailyEntry.objects.count() == len(promoted)


def test_the_rules_read_as_sentences(settings):
    settings.PROMOTE_VOTES, settings.PROMOTE_WITHIN_DAYS = 3, 7
    settings.PROMOTE_CATEGORIES, settings.PROMOTE_KEYWORDS = ["cs.IR"], ["re-ranking"]
    assert curation.rules() == [
        "3 upvotes here within 7 days of its first version",
        "new papers in cs.IR and mentioning “re-ranking” (at most 7 days old)",
    ]
    settings.PROMOTE_VOTES, settings.PROMOTE_CATEGORIES, settings.PROMOTE_KEYWORDS = 0, [], []
    assert curation.rules() == []


# --- the hf source -----------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now, self.sleeps = 1_780_000_000.0, []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def huggingface(settings):
    clock = Clock()
    with ReplayServer(clock.time) as server:
        settings.HF_URL = server.url
        settings.HF_REFRESH_DAYS = 2
        client = PoliteClient(delay=2.0, retries=1, sleep=clock.sleep, clock=clock.time)
        server.client = client
        yield server
        client.close()


def json_reply(data, status=200):
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


def many(n, prefix):
    items = []
    for i in range(n):
        item = copy.deepcopy(HF_ITEMS[1])
        item["paper"]["id"] = f"{prefix}.{i + 1:05d}"
        item["paper"]["upvotes"] = i
        items.append(item)
    return items


@pytest.mark.django_db
def test_the_hf_source_follows_hugging_face_s_days_into_the_feed(huggingface, today):
    day = today(dt.date(2026, 3, 7))
    yesterday = day - dt.timedelta(days=1)
    huggingface.route("/api/daily_papers", json_reply(HF_ITEMS), date=yesterday.isoformat())
    huggingface.route("/api/daily_papers", json_reply([]), date=(day - dt.timedelta(2)).isoformat())
    first = many(100, "2603")  # a full page: the next one is asked for
    huggingface.route("/api/daily_papers", json_reply(first), date=day.isoformat(), p="0")
    huggingface.route("/api/daily_papers", json_reply(many(3, "2604")), date=day.isoformat(), p="1")
    result = run_source("hf", "", client=huggingface.client)
    assert [h.query["date"] for h in huggingface.hits] == [
        "2026-03-05",
        "2026-03-06",
        "2026-03-07",
        "2026-03-07",
    ]
    assert all(h.query["limit"] == "100" for h in huggingface.hits)
    assert huggingface.client.clock() - 1_780_000_000.0 >= 6.0  # spaced 2 s apart
    assert (result.fetched, result.counts.entered_feed) == (105, 105)
    scicode = DailyEntry.objects.select_related("paper").get(paper__arxiv_id="2407.13168")
    assert (scicode.day, scicode.source, scicode.submitter_name) == (yesterday, "hf", "amber1120")
    paper = scicode.paper
    assert (paper.upvotes_imported, paper.comments_imported) == (17, 3)
    assert paper.authors[:2] == ["Minyang Tian", "Luyu Gao"]
    assert paper.published_at == dt.datetime(2024, 7, 18, 5, 15, 24, tzinfo=UTC)
    lmm = Paper.objects.get(arxiv_id="2602.23229")
    assert (lmm.code_url, lmm.github_stars) == ("https://github.com/marco-garosi/CIRCLE", 9)
    assert DailyEntry.objects.filter(day=day).count() == 103
    state = IngestState.objects.get(name="hf:")
    assert state.cursor == {"done": "2026-03-06"}  # today is fetched again next time
    assert (state.failures, state.papers_seen) == (0, 105)

    # The next run refreshes the last days' votes (a local vote is never overwritten).
    Paper.objects.filter(arxiv_id="2407.13168").update(upvotes_local=2)
    HF_ITEMS[0]["paper"]["upvotes"] = 30
    try:
        huggingface.route("/api/daily_papers", json_reply(HF_ITEMS), date=yesterday.isoformat())
        run_source("hf", "", client=huggingface.client)
    finally:
        HF_ITEMS[0]["paper"]["upvotes"] = 17
    paper.refresh_from_db()
    assert (paper.upvotes_imported, paper.upvotes_local, paper.upvotes) == (30, 2, 32)
    assert DailyEntry.objects.count() == 105


@pytest.mark.django_db
def test_the_hf_source_resumes_after_its_last_complete_day_and_skips_bad_items(
    huggingface, today, settings
):
    settings.HF_REFRESH_DAYS = 0
    today(dt.date(2026, 3, 9))
    IngestState.objects.create(name="hf:", kind="hf", cursor={"done": "2026-03-07"})
    bad = copy.deepcopy(HF_ITEMS[1])
    bad["paper"]["id"] = "not an id"
    huggingface.route("/api/daily_papers", json_reply([bad, HF_ITEMS[0]]), date="2026-03-08")
    huggingface.route(
        "/api/daily_papers", Reply(200, b"<html>maintenance</html>"), date="2026-03-09"
    )
    with pytest.raises(IngestError, match="hf:"):
        run_source("hf", "", client=huggingface.client)
    assert [h.query["date"] for h in huggingface.hits] == ["2026-03-08", "2026-03-09"]
    state = IngestState.objects.get(name="hf:")
    # The good day was kept (and its good item); the failure is on the row, with a retry time.
    assert state.cursor == {"done": "2026-03-08"}
    assert state.failures == 1 and state.next_run_at > state.last_run_at
    assert list(DailyEntry.objects.values_list("paper__arxiv_id", flat=True)) == ["2407.13168"]


@pytest.mark.django_db
def test_the_hf_source_is_scheduled_once_beside_the_arxiv_sources(huggingface, today, settings):
    today(dt.date(2026, 3, 7))
    settings.HF_REFRESH_DAYS = 0
    settings.INGEST_SOURCES, settings.INGEST_CATEGORIES = ["hf"], []
    huggingface.route("/api/daily_papers", json_reply(HF_ITEMS))
    assert run_due(huggingface.client) == {}
    assert DailyEntry.objects.count() == 2
    assert list(IngestState.objects.values_list("name", flat=True)) == ["hf:"]
    out = io.StringIO()
    call_command("ingest", "status", stdout=out)
    assert "hf:" in out.getvalue() and "ok" in out.getvalue()


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_on_arxiv_lists_the_catalogue_with_one_click_submit(client, today):
    today(TODAY)
    # Both first published on the 26th, announced on the 27th.
    recent = catalogue("2605.00001", TODAY - dt.timedelta(days=2), title="A recent paper")
    catalogue("2605.00002", TODAY - dt.timedelta(days=2), categories=("cs.CL",), upvotes_local=4)
    old = catalogue("2604.00003", TODAY - dt.timedelta(days=30))
    Paper.objects.filter(pk=old.pk).update(listed_on=TODAY)  # listed today as a cross-list
    DailyEntry.objects.create(paper=recent, day=TODAY, submitted_at=timezone.now())
    page = client.get("/arxiv").content.decode()
    assert "New on arXiv: May 28, 2026" in page
    assert "2604.00003" in page and "2605.00001" not in page  # its latest day only
    day = client.get("/arxiv/2026-05-28").content.decode()
    # The same day's list; only the sort form's own address differs.
    assert (
        day[day.index("</form>", day.index("<main")) :]
        == (page[page.index("</form>", page.index("<main")) :])
    )
    before = client.get("/arxiv/2026-05-27")
    html = before.content.decode()
    assert html.count('<li class="row"') == 2
    assert "In Daily" in html  # the paper already in the feed says so
    assert html.index("2605.00002") < html.index("2605.00001")  # newest first by id
    by_votes = client.get("/arxiv/2026-05-27?sort=votes").content.decode()
    assert by_votes.index("2605.00002") < by_votes.index("2605.00001")
    cl = client.get("/arxiv/2026-05-27?category=cs.CL").content.decode()
    assert "2605.00002" in cl and "2605.00001" not in cl and "RSS for cs.CL" in cl
    # Signed out, "Submit to Daily" leads to sign-in and back to the filled form.
    assert "/accounts/login?next=/submit%3Fid%3D2605.00002" in html
    # Signed in, it is a one-click form; the old paper has none.
    client.force_login(person("ada"))
    signed = client.get("/arxiv").content.decode()
    assert 'class="inline submit-one"' not in signed  # 2604.00003 is too old
    signed = client.get("/arxiv/2026-05-27").content.decode()
    assert signed.count('name="arxiv_id" value="2605.00002"') == 1
    posted = client.post("/submit", {"arxiv_id": "2605.00002", "next": "/arxiv/2026-05-27"})
    assert posted.url == "/arxiv/2026-05-27"
    assert DailyEntry.objects.get(paper__arxiv_id="2605.00002").source == "user"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, status",
    [
        ("/arxiv/2026-13-01", 400),
        ("/arxiv/9999-12-31", 400),
        ("/arxiv?sort=trending", 400),
        ("/arxiv?category=%3Cb%3E", 400),
        ("/arxiv?page=0", 404),
        ("/arxiv?page=9", 404),
        ("/arxiv?page=%00", 400),
    ],
)
def test_new_on_arxiv_refuses_bad_input_clearly(client, url, status):
    catalogue("2605.00001", TODAY)
    assert client.get(url).status_code == status


@pytest.mark.django_db
def test_an_empty_feed_with_a_full_catalogue_points_to_new_on_arxiv(client, write_jsonl):
    import_files("arxiv", [write_jsonl("a.jsonl", [arxiv_row(f"2605.{i:05d}") for i in range(30)])])
    page = client.get("/").content.decode()
    assert "The Daily feed is empty" in page
    assert 'href="/arxiv"' in page and 'href="/submit"' in page
    assert "Paper 2605.00001" not in page


@pytest.mark.django_db
def test_a_catalogue_paper_s_page_offers_submission_while_it_is_recent(client, today):
    today(TODAY)
    catalogue("2605.00001", TODAY - dt.timedelta(days=3))
    catalogue("2604.00001", TODAY - dt.timedelta(days=30))
    client.force_login(person("ada"))
    recent = client.get("/papers/2605.00001").content.decode()
    assert "not in the Daily feed" in recent and "Submit to Daily" in recent
    old = client.get("/papers/2604.00001").content.decode()
    assert "Submit to Daily" not in old and "Only papers from the last 7 days" in old
    assert 'form class="vote' in old  # it can still be upvoted


# --- digests -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_digests_add_new_on_arxiv_in_the_subscriber_s_topics(smtp_server):
    day = TODAY
    picked = catalogue("2605.00001", day - dt.timedelta(days=1), title="Picked by people")
    Paper.objects.filter(pk=picked.pk).update(upvotes_imported=9)
    DailyEntry.objects.create(paper=picked, day=day, submitted_at=timezone.now())
    for i, category in enumerate(["cs.IR", "cs.IR", "math.AP"], start=2):
        p = catalogue(f"2605.0000{i}", day - dt.timedelta(days=1), categories=(category,))
        Paper.objects.filter(pk=p.pk).update(listed_on=day, title=f"New {category} paper {i}")
    topical = Subscription.objects.create(
        email="ir@example.org", confirmed_at=timezone.now(), categories=["cs.IR"]
    )
    Subscription.objects.create(email="all@example.org", confirmed_at=timezone.now())
    sending.plan(sending.current_period("daily", today=day))
    report = sending.send_due()
    assert report.sent == 2
    [ir] = smtp_server.to("ir@example.org")
    text = ir.get_body(("plain",)).get_content()
    assert "Picked by people" in text and "New on arXiv in your topics" in text
    assert "New cs.IR paper 2" in text and "New cs.IR paper 3" in text
    assert "math.AP" not in text
    [everyone] = smtp_server.to("all@example.org")
    plain = everyone.get_body(("plain",)).get_content()
    assert "Picked by people" in plain and "New on arXiv in your topics" not in plain
    assert Delivery.objects.filter(subscription=topical, status="sent").count() == 1


@pytest.mark.django_db
def test_a_digest_with_nothing_for_a_subscriber_is_skipped_not_sent(smtp_server):
    # The period has catalogue papers but no feed entries: only a subscriber with matching
    # topics has something to read.
    catalogue("2605.00001", TODAY, categories=("cs.IR",))
    DailyEntry.objects.create(
        paper=catalogue("2605.00009", TODAY - dt.timedelta(days=9)),
        day=TODAY - dt.timedelta(days=9),
        submitted_at=timezone.now(),
    )
    Subscription.objects.create(
        email="ir@example.org", confirmed_at=timezone.now(), frequency="weekly", keywords=["paper"]
    )
    Subscription.objects.create(
        email="cv@example.org",
        confirmed_at=timezone.now(),
        frequency="weekly",
        categories=["cs.CV"],
    )
    week = sending.current_period("weekly", today=TODAY + dt.timedelta(days=7))
    assert sending.plan(week) == 2
    report = sending.send_due()
    assert (report.sent, report.skipped) == (1, 1)
    assert len(smtp_server.to("ir@example.org")) == 1 and smtp_server.to("cv@example.org") == []


# --- the migration -----------------------------------------------------------------------------


BEFORE = [("papers", "0003_alter_dailyentry_options")]


@pytest.fixture
def migrated_back():
    """The schema before the split; the latest one again afterwards, whatever happened."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor.loader.project_state(BEFORE).apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_takes_bulk_entries_out_of_the_feed_and_back(migrated_back):
    before = BEFORE
    apps = migrated_back
    OldPaper, OldEntry = apps.get_model("papers", "Paper"), apps.get_model("papers", "DailyEntry")
    OldUser = apps.get_model("auth", "User")
    ada = OldUser.objects.create(username="ada")
    day = dt.date(2026, 5, 4)
    midnight = dt.datetime.combine(day, dt.time(), UTC)

    def old(arxiv_id, **entry):
        paper = OldPaper.objects.create(
            arxiv_id=arxiv_id,
            title=arxiv_id,
            published_at=midnight - dt.timedelta(days=2),
        )
        OldEntry.objects.create(paper=paper, day=day, submitted_at=midnight, **entry)
        return paper

    old("2605.00001")  # a bulk import
    old("2605.00002", upvotes_local=3, comments_local=1)  # bulk, then voted here
    old("2605.00003", submitted_by=ada, upvotes_local=2)  # a person's submission
    old("2605.00004", submitter_name="akhaliq", upvotes_imported=40, comments_imported=5)
    old("2605.00005", upvotes_imported=7)  # Hugging Face without a submitter name
    old("2605.00006", featured=True)  # a curator's
    OldPaper.objects.create(arxiv_id="2605.00007", title="never in the feed")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    in_feed = dict(DailyEntry.objects.values_list("paper__arxiv_id", "source"))
    assert in_feed == {
        "2605.00003": "user",
        "2605.00004": "hf",
        "2605.00005": "hf",
        "2605.00006": "curator",
    }
    counts = {
        p.arxiv_id: (p.upvotes, p.num_comments, p.listed_on)
        for p in Paper.objects.order_by("arxiv_id")
    }
    first_version = day - dt.timedelta(days=2)
    assert counts == {
        "2605.00001": (0, 0, day),
        "2605.00002": (3, 1, day),  # its votes stay on the paper
        "2605.00003": (2, 0, first_version),
        "2605.00004": (40, 5, first_version),
        "2605.00005": (7, 0, first_version),
        "2605.00006": (0, 0, first_version),
        "2605.00007": (0, 0, None),
    }

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    OldEntry = apps.get_model("papers", "DailyEntry")
    back = {
        e.paper.arxiv_id: (e.day, e.upvotes, e.num_comments)
        for e in OldEntry.objects.select_related("paper")
    }
    assert back["2605.00001"] == (day, 0, 0)
    assert back["2605.00002"] == (day, 3, 1)
    assert back["2605.00004"] == (day, 40, 5)
    assert back["2605.00003"] == (day, 2, 0)
    assert "2605.00007" not in back  # it had no day and no entry
