"""Team chat through Apprise, against a local HTTP receiver started by each test.

Apprise posts Slack's and Discord's messages to fixed hosts (hooks.slack.com, discord.com),
built from a class attribute of the plugin: `NotifySlack.webhook_url` and
`NotifyDiscord.notify_url`. The `receiver` fixture points these two attributes at the local
server (pytest's monkeypatch, undone after the test) and nothing else: the URL a channel holds
is the real `slack://…` or `discord://…` URL, parsed by Apprise, and the request body, headers
and path are Apprise's own, so the payloads checked here are the ones Slack and Discord receive.
A generic JSON webhook (`json://host:port/path`) names its host itself: it is the receiver's.
"""

import datetime as dt
import json
import threading
import time

import pytest
from apprise.plugins.discord import NotifyDiscord
from apprise.plugins.slack import NotifySlack
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from dailypapers.chat import channels, sending
from dailypapers.chat.models import Channel, ChatDelivery
from dailypapers.feed.models import DailyEntry
from dailypapers.library.models import Collection, CollectionItem
from dailypapers.notifications.models import Follow, Notification
from dailypapers.ops import doctor
from dailypapers.papers.models import Paper
from dailypapers.search import fulltext
from tests.replay_server import ReplayServer, Reply
from tests.web.conftest import PASSWORD, signed_in

DAY = dt.date(2026, 5, 28)
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#papers"
SLACK_PATH = "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
DISCORD = "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"
DISCORD_PATH = "/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"


@pytest.fixture
def receiver(monkeypatch):
    with ReplayServer(time.monotonic) as server:
        monkeypatch.setattr(NotifySlack, "webhook_url", f"{server.url}/services")
        monkeypatch.setattr(NotifySlack, "request_rate_per_sec", 0)  # no 1.2 s pause per post
        monkeypatch.setattr(NotifyDiscord, "notify_url", f"{server.url}/api/webhooks")
        server.route(SLACK_PATH, Reply(200, b"ok"))
        server.route(DISCORD_PATH, Reply(204))
        server.route("/hook", Reply(200))
        yield server


@pytest.fixture
def public_receiver(settings):
    """The local receiver stands in for Slack's or Discord's servers: a personal channel's
    connections may reach it (they go to public addresses only otherwise: see
    test_a_personal_channel_connects_to_public_addresses_only)."""
    settings.CHAT_USER_PRIVATE = True


def json_url(server, path="/hook"):
    return server.url.replace("http://", "json://") + path


def received(server, path):
    return [
        json.loads(b) for h, b in zip(server.hits, server.bodies, strict=True) if h.path == path
    ]


@pytest.fixture
def feed():
    papers = []
    for i, votes in enumerate([40, 25, 9]):
        paper = Paper.objects.create(
            arxiv_id=f"2605.3000{i}",
            title=f"Paper {i}: transformers at [scale]",
            abstract="An abstract that is long enough to be cut. " * 12,
            authors=["Ada Lovelace", "Alan Turing"],
            categories=["cs.CL"],
            primary_category="cs.CL",
            upvotes_imported=votes,
        )
        DailyEntry.objects.create(
            paper=paper, day=DAY, submitted_at=dt.datetime.combine(DAY, dt.time(8), dt.UTC)
        )
        papers.append(paper)
    return papers


def run(now=None):
    sending.plan(today=DAY)
    return sending.send_due(now=now or timezone.now)


@pytest.mark.django_db
def test_slack_discord_and_json_channels_receive_apprise_s_payloads(receiver, feed, settings):
    settings.SITE_URL = "https://papers.example.org"
    for url in (SLACK, DISCORD, json_url(receiver)):
        channels.add(url, daily=True)
    report = run()
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    page = "https://papers.example.org/papers/2605.30000"

    [slack] = received(receiver, SLACK_PATH)
    assert slack["channel"] == "#papers"
    [attachment] = slack["attachments"]
    assert attachment["title"] == "Daily Papers — May 28, 2026"
    # Markdown links become Slack's <url|text>; the brackets of a title stay text.
    assert (
        f"*<{page}|Paper 0: transformers at [scale]>* — Ada Lovelace, Alan Turing · ▲ 40"
        in (attachment["text"])
    )
    assert attachment["text"].index("Paper 0") < attachment["text"].index("Paper 2")

    [discord] = received(receiver, DISCORD_PATH)
    assert discord["content"].startswith("Daily Papers — May 28, 2026")
    assert f"1. **[Paper 0: transformers at \\[scale\\]]({page})**" in discord["content"]

    [hook] = received(receiver, "/hook")
    assert hook["version"] == "1.0" and hook["type"] == "info"
    assert hook["title"] == "Daily Papers — May 28, 2026"
    assert "[On the site](https://papers.example.org/papers/date/2026-05-28)" in hook["message"]

    # Sent once: the next runs find every message sent.
    assert str(run()) == "0 sent, 0 to retry, 0 failed, 0 skipped"
    assert len(receiver.bodies) == 3


@pytest.mark.django_db
def test_a_long_list_fits_discord_s_limit_and_links_to_the_rest(receiver, feed, settings):
    settings.CHAT_SIZE = 50
    for i in range(60):
        paper = Paper.objects.create(
            arxiv_id=f"2605.4{i:04d}", title=f"A very long title {i} " + "word " * 40
        )
        DailyEntry.objects.create(
            paper=paper, day=DAY, submitted_at=dt.datetime.combine(DAY, dt.time(9), dt.UTC)
        )
    channels.add(DISCORD, daily=True)
    run()
    [discord] = received(receiver, DISCORD_PATH)
    assert len(discord["content"]) <= 2000
    assert "[All 63 papers](" in discord["content"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_send_each_message_once(receiver, feed):
    for i in range(20):
        receiver.route(f"/hook{i}", Reply(200))
        channels.add(json_url(receiver, f"/hook{i}"), daily=True)
    sending.plan(today=DAY)
    reports = []
    barrier = threading.Barrier(2)

    def worker(name):
        barrier.wait()
        try:
            reports.append(sending.send_due(worker=name))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    paths = sorted(h.path for h in receiver.hits)
    assert paths == sorted(f"/hook{i}" for i in range(20))
    assert sum(r.sent for r in reports) == 20
    assert ChatDelivery.objects.filter(status=ChatDelivery.SENT).count() == 20


@pytest.mark.django_db
def test_a_failing_channel_is_retried_with_backoff_while_another_succeeds(receiver, feed, settings):
    settings.CHAT_MAX_ATTEMPTS = 3
    receiver.route("/good", Reply(200))
    down = receiver.route("/down", Reply(500), Reply(503), Reply(200))
    broken = channels.add(json_url(receiver, "/down"), daily=True, name="down")
    good = channels.add(json_url(receiver, "/good"), daily=True, name="good")
    sending.plan(today=DAY)
    start = timezone.now()
    report = sending.send_due(now=lambda: start)
    assert (report.sent, report.retried) == (1, 1)
    good_row = ChatDelivery.objects.get(channel=good)
    assert good_row.status == ChatDelivery.SENT
    row = ChatDelivery.objects.get(channel=broken)
    assert (row.status, row.attempts) == (ChatDelivery.PENDING, 1)
    assert row.next_attempt_at == start + dt.timedelta(minutes=1)
    broken.refresh_from_db()
    assert "500" in broken.last_error

    # Not due before its time; then a second failure doubles the wait.
    assert sending.send_due(now=lambda: start + dt.timedelta(seconds=30)).retried == 0
    later = start + dt.timedelta(minutes=1)
    assert sending.send_due(now=lambda: later).retried == 1
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (2, later + dt.timedelta(minutes=2))
    last = later + dt.timedelta(minutes=2)
    assert sending.send_due(now=lambda: last).sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, down.hits) == (ChatDelivery.SENT, 3, 3)
    broken.refresh_from_db()
    assert broken.last_error == "" and broken.last_sent_at == last


@pytest.mark.django_db
def test_a_message_is_given_up_after_the_last_attempt(receiver, feed, settings):
    settings.CHAT_MAX_ATTEMPTS = 2
    receiver.route("/down", Reply(500))
    channels.add(json_url(receiver, "/down"), daily=True)
    sending.plan(today=DAY)
    start = timezone.now()
    sending.send_due(now=lambda: start)
    report = sending.send_due(now=lambda: start + dt.timedelta(hours=1))
    assert report.failed == 1
    assert ChatDelivery.objects.get().status == ChatDelivery.FAILED


@pytest.mark.django_db
def test_a_user_s_channel_to_a_private_address_is_refused(receiver, feed, settings):
    settings.CHAT_USER_SCHEMES = ["slack", "json", "jsons"]
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    client = signed_in(ada)
    for url in (
        json_url(receiver),
        "jsons://localhost/hook",
        "jsons://10.0.0.5/hook",
        "jsons://169.254.169.254/latest/meta-data",
        "jsons://[::1]/hook",
        "jsons://[::ffff:127.0.0.1]/hook",
    ):
        answer = client.post("/settings/chat", {"url": url, "daily": "on"})
        assert answer.status_code == 400, url
        assert "private or local address" in answer.content.decode(), url
    answer = client.post("/settings/chat", {"url": "discord://1/abc", "daily": "on"})
    assert "discord:// channels are not offered here" in answer.content.decode()
    assert not Channel.objects.exists() and receiver.hits == []

    # The operator may allow it (an intranet's webhook)...
    settings.CHAT_USER_PRIVATE = True
    client.post("/settings/chat", {"url": json_url(receiver), "daily": "on"})
    channel = Channel.objects.get(owner=ada)
    # ...and take it back: the address is checked again before each message.
    settings.CHAT_USER_PRIVATE = False
    report = run()
    assert (report.sent, report.failed) == (0, 1)
    assert receiver.hits == []
    channel.refresh_from_db()
    assert "private or local address" in channel.last_error


@pytest.mark.django_db
def test_the_operator_s_site_wide_channel_may_post_anywhere(receiver, feed):
    channel = channels.add(json_url(receiver), weekly=True, daily=True)
    assert channel.site_wide and run().sent == 1


@pytest.mark.django_db
def test_followed_authors_and_collection_additions_reach_a_personal_channel(
    receiver, feed, public_receiver
):
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    shelf = Collection.objects.create(owner=ada, name="Reading group")
    before = Notification.objects.create(user=ada, kind=Notification.NEW_PAPER, paper=feed[2])
    Notification.objects.filter(pk=before.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    channel = channels.add(SLACK, owner=ada, followed=True, collection=shelf)
    Notification.objects.create(user=ada, kind=Notification.NEW_PAPER, paper=feed[0])
    CollectionItem.objects.create(collection=shelf, paper=feed[1], position=1, note="For Friday")
    others = Collection.objects.create(owner=ada, name="Elsewhere")
    CollectionItem.objects.create(collection=others, paper=feed[2], position=1)
    assert run().sent == 2
    titles = [m["attachments"][0]["title"] for m in received(receiver, SLACK_PATH)]
    assert sorted(titles) == ["Added to “Reading group”", "New paper by an author you follow"]
    keys = set(channel.deliveries.values_list("key", flat=True))
    assert any(k.startswith("notification:") for k in keys)
    assert f"notification:{before.pk}" not in keys  # older than the channel
    assert run().sent == 0  # each once


@pytest.mark.django_db
def test_a_site_wide_channel_cannot_follow_a_private_collection(feed):
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    private = Collection.objects.create(owner=ada, name="Mine")
    with pytest.raises(channels.ChannelError):
        channels.add(SLACK, collection=private)
    with pytest.raises(channels.ChannelError):
        channels.add(SLACK, owner=User.objects.create_user("bob"), collection=private)


@pytest.mark.django_db
def test_the_settings_page_adds_tests_and_removes_a_channel_without_showing_its_url(
    receiver, feed, public_receiver
):
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    client = signed_in(ada)
    assert client.get("/settings/chat").status_code == 200
    answer = client.post("/settings/chat", {"url": SLACK, "name": "#papers", "daily": "on"})
    assert answer.status_code == 302
    channel = Channel.objects.get(owner=ada)
    page = client.get("/settings/chat").content.decode()
    assert "slack://T...2/A...D/T...7/%23papers" in page
    assert "TIiajkdnlazkcOXrIdevi7" not in page
    answer = client.post(f"/settings/chat/{channel.pk}/test", follow=True)
    assert "A test message was sent" in answer.content.decode()
    [test] = received(receiver, SLACK_PATH)
    assert test["attachments"][0]["title"] == "Daily Papers: a test message"
    # Someone else's channel is out of reach.
    bob = signed_in(User.objects.create_user("bob", "bob@example.org", PASSWORD))
    assert bob.post(f"/settings/chat/{channel.pk}/test").status_code == 404
    bob.post(f"/settings/chat/{channel.pk}/remove")
    assert Channel.objects.filter(pk=channel.pk).exists()
    client.post(f"/settings/chat/{channel.pk}/remove")
    assert not Channel.objects.filter(pk=channel.pk).exists()


@pytest.mark.django_db
def test_the_command_adds_lists_tests_and_sends(receiver, feed, capsys):
    call_command("chat", "add", SLACK, "--daily", "--weekly", "--name", "lab")
    out = capsys.readouterr().out
    assert "Added channel" in out and "TIiajkdnlazkcOXrIdevi7" not in out
    channel = Channel.objects.get()
    call_command("chat", "list")
    out = capsys.readouterr().out
    assert "site-wide" in out and "daily picks, weekly summary" in out
    assert "TIiajkdnlazkcOXrIdevi7" not in out
    call_command("chat", "test", str(channel.pk))
    assert "Sent a test message" in capsys.readouterr().out
    assert len(receiver.bodies) == 1


@pytest.mark.django_db
def test_doctor_warns_of_a_failing_site_wide_channel(receiver, feed):
    receiver.route("/down", Reply(500))
    channels.add(json_url(receiver, "/down"), daily=True)
    assert doctor.chat().status == doctor.OK
    run()
    finding = doctor.chat()
    assert finding.status == doctor.WARN and "site-wide channels failing" in finding.detail


@pytest.mark.django_db
def test_a_followed_search_sends_the_day_s_new_papers_that_match_it(
    receiver, feed, public_receiver
):
    at = dt.datetime.combine(DAY, dt.time(9), dt.UTC)
    for arxiv_id, title, when in [
        ("2605.50001", "Diffusion models that day", at),
        ("2605.50002", "Diffusion models three days before", at - dt.timedelta(days=3)),
        ("2605.50003", "Graph networks that day", at),
    ]:
        Paper.objects.create(arxiv_id=arxiv_id, title=title, published_at=when)
    fulltext.rebuild()
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    follow = Follow.objects.create(user=ada, kind=Follow.QUERY, value="diffusion")
    channel = channels.add(SLACK, owner=ada, followed=True)
    assert run().sent == 1
    assert channel.deliveries.get().key == f"search:{follow.pk}:2026-05-28"
    [message] = received(receiver, SLACK_PATH)
    attachment = message["attachments"][0]
    assert attachment["title"] == "New papers for your search “diffusion” — May 28, 2026"
    assert "Diffusion models that day" in attachment["text"]
    assert "three days before" not in attachment["text"] and "Graph" not in attachment["text"]


@pytest.mark.django_db
def test_the_admin_adds_a_site_wide_channel_and_never_shows_its_url(feed):
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    admin = signed_in(root)
    form = {"name": "lab", "url": SLACK, "daily": "on", "enabled": "on"}
    assert admin.post("/admin/chat/channel/add/", form).status_code == 302
    channel = Channel.objects.get()
    assert channel.site_wide and channel.url == SLACK and channel.masked.startswith("slack://T...2")
    page = admin.get(f"/admin/chat/channel/{channel.pk}/change/").content.decode()
    assert "TIiajkdnlazkcOXrIdevi7" not in page
    # Saved again without a URL: the URL is kept.
    form = {"name": "lab2", "url": "", "weekly": "on", "enabled": "on"}
    assert admin.post(f"/admin/chat/channel/{channel.pk}/change/", form).status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.url, channel.weekly) == ("lab2", SLACK, True)
    # A URL Apprise does not know is refused.
    answer = admin.post("/admin/chat/channel/add/", {"url": "nope://x", "daily": "on"})
    assert answer.status_code == 200 and "Apprise does not understand" in answer.content.decode()


@pytest.mark.django_db
def test_a_message_claimed_by_a_worker_that_died_is_sent_by_the_next(receiver, feed, settings):
    settings.CHAT_LEASE_SECONDS = 60
    channels.add(json_url(receiver), daily=True)
    sending.plan(today=DAY)
    start = timezone.now()
    [claimed] = sending.claim("dead-worker", start)  # ...and it dies before sending
    assert sending.send_due(worker="next", now=lambda: start + dt.timedelta(seconds=30)).sent == 0
    later = start + dt.timedelta(seconds=61)
    assert sending.send_due(worker="next", now=lambda: later).sent == 1
    claimed.refresh_from_db()
    assert (claimed.status, claimed.claimed_by, len(receiver.bodies)) == ("sent", "next", 1)


@pytest.mark.django_db
def test_a_notification_committed_late_is_still_planned(receiver, feed, public_receiver):
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    channel = channels.add(SLACK, owner=ada, followed=True)
    Channel.objects.filter(pk=channel.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    assert run().sent == 0
    # Made (its created_at) before that planning ended, but seen only now (a late commit).
    note = Notification.objects.create(user=ada, kind=Notification.NEW_PAPER, paper=feed[0])
    Notification.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert run().sent == 1
    assert channel.deliveries.get().key == f"notification:{note.pk}"


@pytest.mark.django_db
def test_the_weekly_summary_goes_once_the_week_is_over(receiver, feed):
    channels.add(json_url(receiver), weekly=True)
    sending.plan(today=DAY)  # Thursday of week 22: week 21 has no papers
    assert not ChatDelivery.objects.exists()
    monday = dt.date(2026, 6, 1)
    sending.plan(today=monday)
    assert sending.send_due().sent == 1
    [hook] = received(receiver, "/hook")
    assert hook["title"] == "The week's top papers — week 22, May 25 – May 31, 2026"
    assert "/papers/week/2026-W22" in hook["message"]


def test_public_means_no_private_address_carried_inside_an_ipv6_one():
    from dailypapers.chat.addresses import public

    assert public("1.1.1.1") and public("2606:4700:4700::1111")
    for address in (
        "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
        "64:ff9b:1::a00:5",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::ffff:169.254.169.254",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "fe80::1%eth0",
    ):
        assert not public(address), address
    assert public("64:ff9b::101:101")  # NAT64 of 1.1.1.1


@pytest.mark.django_db
def test_a_personal_channel_connects_to_public_addresses_only(receiver, feed, settings):
    """Checked at connection time too, for every connection Apprise opens (a redirect, Matrix's
    discovery, a name that resolves elsewhere by then): here Slack's address, which the check of
    the URL never looks at, is a local one."""
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    channel = channels.add(SLACK, owner=ada, daily=True)
    report = run()
    assert (report.sent, report.retried) == (0, 1)
    assert receiver.hits == []
    channel.refresh_from_db()
    assert "private or local address" in channel.last_error
    # The operator's channel to the same place is sent.
    channels.add(SLACK, daily=True)
    assert run().sent == 1 and len(receiver.hits) == 1


def test_a_personal_channel_follows_no_redirect_and_discovers_no_server(settings):
    from dailypapers.chat.addresses import check

    settings.CHAT_USER_SCHEMES = ["matrixs"]
    url = "matrixs://user:pass@1.1.1.1/#room"  # an address: nothing to resolve offline
    plugin = check(url, personal=True)
    assert plugin.redirects is False and plugin.discovery is False
    operators = check(url, personal=False)
    assert operators.redirects is True and operators.discovery is True


@pytest.mark.django_db
def test_a_banned_owner_s_channels_stop(receiver, feed, public_receiver):
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    channel = channels.add(SLACK, owner=ada, daily=True)
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert run().sent == 0 and receiver.hits == []
    assert sending.send_test(channel) == "The owner of this channel is banned."
    assert receiver.hits == []


@pytest.mark.django_db
def test_an_odd_collection_field_is_no_collection_not_an_error(feed, public_receiver):
    ada = User.objects.create_user("ada", "ada@example.org", PASSWORD)
    client = signed_in(ada)
    for odd in ("9" * 5000, "\u00b2", "-1", "1.5", "0"):
        answer = client.post("/settings/chat", {"url": SLACK, "daily": "on", "collection": odd})
        assert answer.status_code == 302, odd
    assert Channel.objects.filter(owner=ada, collection__isnull=True).count() == 5
