"""Email digests against a real SMTP server (aiosmtpd, in-process): subscribe, send, fail, crash."""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from dailypapers.digests import sending
from dailypapers.digests.models import Delivery, Subscription
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper, PaperCategory
from tests.system.test_crash import start_worker

# Windows this long never roll over during a test (a limit counted in a window that started
# just before the test could otherwise reset between two requests).
FIXED_WINDOW = 10**9
DAY = dt.date(2026, 5, 28)
DKIM = Path(__file__).parents[1] / "fixtures" / "dkim"


@pytest.fixture
def feed():
    for i, (votes, category) in enumerate(
        [(40, "cs.CV"), (25, "cs.CL"), (9, "math.AP"), (1, "cs.CL")]
    ):
        paper = Paper.objects.create(
            arxiv_id=f"2605.3000{i}",
            title=f"Paper {i}: {'diffusion' if i == 3 else 'transformers'} at scale",
            abstract="An abstract that is long enough to be cut. " * 12,
            authors=["Ada Lovelace", "Alan Turing"],
            categories=[category],
            primary_category=category,
            code_url="https://github.com/ex/code" if i == 0 else "",
            upvotes_imported=votes,
        )
        PaperCategory.objects.create(paper=paper, category=category)
        DailyEntry.objects.create(
            paper=paper, day=DAY, submitted_at=dt.datetime.combine(DAY, dt.time(8), dt.UTC)
        )


def subscriber(email, frequency="daily", **fields):
    return Subscription.objects.create(
        email=email, frequency=frequency, confirmed_at=timezone.now(), **fields
    )


def digest_period():
    return sending.current_period("daily", today=DAY)


def run_once(now=None):
    sending.plan(digest_period())
    return sending.send_due(now=now or timezone.now)


# --- subscribing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_subscribe_from_any_page_then_confirm_by_email(client, smtp_server, feed):
    page = client.get("/").content.decode()
    assert (
        'action="/digest/subscribe"' in page and "Get trending papers in your email inbox" in page
    )
    response = client.post(
        "/digest/subscribe", {"email": "Grace@Example.org", "frequency": "weekly"}
    )
    assert "Check your email" in response.content.decode()
    sub = Subscription.objects.get()
    assert (sub.email, sub.frequency, sub.confirmed_at) == ("grace@example.org", "weekly", None)
    [message] = smtp_server.to("grace@example.org")
    assert message["Subject"] == "Confirm your Daily Papers digest"
    path = re.search(
        r"http://127\.0\.0\.1:8000(/digest/confirm/\S+)", message.get_body(("plain",)).get_content()
    )[1]
    assert "Confirm" in client.get(path).content.decode()  # a GET (a mail scanner) confirms nothing
    sub.refresh_from_db()
    assert sub.confirmed_at is None
    client.post(path)
    sub.refresh_from_db()
    assert sub.active
    assert run_once().sent == 0  # a weekly subscriber gets no daily digest


@pytest.mark.django_db
def test_subscribing_refuses_bad_input_and_is_rate_limited(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "subscribe": (2, FIXED_WINDOW)}
    assert client.post("/digest/subscribe", {"email": "not-an-address"}).status_code == 400
    assert (
        client.post(
            "/digest/subscribe", {"email": "a@example.org", "frequency": "hourly"}
        ).status_code
        == 400
    )
    assert client.post("/digest/subscribe", {"email": "a@example.org"}).status_code == 429
    assert client.get("/digest/subscribe").status_code == 405
    assert Subscription.objects.count() == 0


@pytest.mark.django_db
def test_a_signed_in_subscriber_is_linked_to_the_account(client, smtp_server):
    from django.contrib.auth.models import User

    user = User.objects.create_user("ada", "ada@example.org", "x" * 12)
    client.force_login(user)
    client.post("/digest/subscribe", {"email": "ada@example.org"})
    assert Subscription.objects.get().user == user


@pytest.mark.django_db
def test_topics_are_managed_from_the_link_in_every_mail(client, smtp_server, feed):
    sub = subscriber("ada@example.org")
    response = client.post(
        f"/digest/manage/{sub.token}",
        {"frequency": "daily", "categories": "math.AP", "keywords": "diffusion"},
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    assert (sub.categories, sub.keywords) == (["math.AP"], ["diffusion"])
    bad = client.post(f"/digest/manage/{sub.token}", {"frequency": "daily", "categories": "<b>"})
    assert bad.status_code == 400
    run_once()
    [message] = smtp_server.to("ada@example.org")
    text = message.get_body(("plain",)).get_content()
    # Topics first (math.AP, and the paper about diffusion), then the rest by trending.
    order = [int(n) for n in re.findall(r"Paper (\d):", text)]
    assert order[:2] == [2, 3] and sorted(order) == [0, 1, 2, 3]
    assert text.count("[your topics]") == 2
    assert f"/digest/manage/{sub.token}" in text


# --- the message -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_digest_has_html_and_text_and_one_click_unsubscribe_headers(smtp_server, feed):
    sub = subscriber("ada@example.org")
    report = run_once()
    assert report.sent == 1
    [message] = smtp_server.to("ada@example.org")
    assert message["Subject"] == "Trending papers: May 28, 2026"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"]
    assert f"<http://127.0.0.1:8000/digest/unsubscribe/{sub.token}>" in unsubscribe
    assert "<mailto:noreply@localhost?subject=unsubscribe%20" in unsubscribe
    assert message["Message-ID"].startswith("<digest-")
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    for part in (html, text):
        assert "Paper 0: transformers at scale" in part and "Ada Lovelace, Alan Turing" in part
        assert "https://github.com/ex/code" in part and "40" in part
    assert html.index("Paper 0") < html.index("Paper 1") < html.index("Paper 2")  # by trending
    assert "<link" not in html and "<style" not in html and 'style="' in html  # inline CSS only
    assert "…" in text  # abstracts are shortened


@pytest.mark.django_db
def test_one_click_unsubscribe_is_a_sessionless_idempotent_post(feed):
    sub = subscriber("ada@example.org")
    client = Client(enforce_csrf_checks=True)  # as a mail client: no cookies, no token
    assert "Unsubscribe" in client.get(f"/digest/unsubscribe/{sub.token}").content.decode()
    sub.refresh_from_db()
    assert sub.unsubscribed_at is None  # a GET (a link scanner) never unsubscribes
    body = "List-Unsubscribe=One-Click"
    first = client.post(
        f"/digest/unsubscribe/{sub.token}", body, content_type="application/x-www-form-urlencoded"
    )
    assert first.status_code == 200
    sub.refresh_from_db()
    when = sub.unsubscribed_at
    assert when is not None
    again = client.post(
        f"/digest/unsubscribe/{sub.token}", body, content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200
    sub.refresh_from_db()
    assert sub.unsubscribed_at == when
    assert client.post("/digest/unsubscribe/unknown-token").status_code == 404
    assert sending.plan(digest_period()) == 0


@pytest.mark.django_db
def test_dkim_signs_the_one_click_headers(smtp_server, feed, settings):
    import dkim

    settings.DKIM_DOMAIN, settings.DKIM_SELECTOR = "papers.example.org", "dp1"
    settings.DKIM_KEY = (DKIM / "test-only-private.pem").read_bytes()
    subscriber("ada@example.org")
    run_once()
    [message] = smtp_server.to("ada@example.org")
    signature = message["DKIM-Signature"]
    assert "d=papers.example.org" in signature and "s=dp1" in signature
    signed = re.search(r"h=([^;]+)", signature.replace(" ", ""))[1].lower().split(":")
    assert {"list-unsubscribe", "list-unsubscribe-post", "from", "subject"} <= set(signed)
    public = (DKIM / "test-only-public.b64").read_text().strip()
    record = f"v=DKIM1; k=rsa; p={public}".encode()
    assert dkim.verify(message.raw, dnsfunc=lambda name, timeout=5: record)
    tampered = message.raw.replace(
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: nothing"
    )
    assert not dkim.verify(tampered, dnsfunc=lambda name, timeout=5: record)


# --- failures ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_4xx_is_retried_later_and_then_delivered_once(smtp_server, feed):
    smtp_server.script["ada@example.org"] = ["451 4.7.1 Greylisted, try again later"]
    subscriber("ada@example.org")
    first = run_once()
    assert (first.sent, first.retried) == (0, 1)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.PENDING and "451" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    assert sending.send_due().sent == 0  # not due yet
    later = timezone.now() + dt.timedelta(minutes=2)
    assert sending.send_due(now=lambda: later).sent == 1
    assert len(smtp_server.to("ada@example.org")) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.SENT, 2)


@pytest.mark.django_db
def test_5xx_answers_mark_the_address_bounced_and_stop_sending(smtp_server, feed, settings):
    settings.DIGEST_BOUNCE_AFTER = 2
    smtp_server.script["gone@example.org"] = ["550 5.1.1 No such user"] * 10
    sub = subscriber("gone@example.org")
    subscriber("fine@example.org")
    days = [DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1), DAY]
    for day in days[:2]:
        paper = Paper.objects.create(arxiv_id=f"2605.3100{day.day}", title=f"Older {day}")
        DailyEntry.objects.create(paper=paper, day=day, submitted_at=timezone.now())
    for day in days:
        sending.plan(sending.current_period("daily", today=day))
        sending.send_due()
    sub.refresh_from_db()
    assert sub.bounced_at is not None and sub.hard_failures == 2
    statuses = list(
        Delivery.objects.filter(subscription=sub)
        .order_by("period")
        .values_list("status", flat=True)
    )
    assert statuses == [Delivery.FAILED, Delivery.FAILED]  # the third period was never planned
    assert len(smtp_server.to("fine@example.org")) == 3
    assert len(smtp_server.refused) == 2


@pytest.mark.django_db
def test_an_unreachable_server_leaves_the_digests_to_retry(feed, settings):
    from dailypapers.core.mail import mail_settings, parse_email_url

    for name, value in mail_settings(*parse_email_url("smtp://127.0.0.1:9?timeout=2")).items():
        setattr(settings, name, value)
    subscriber("ada@example.org")
    report = run_once()
    assert (report.sent, report.retried) == (0, 1)
    assert Delivery.objects.get().status == Delivery.PENDING


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_send_each_digest_exactly_once(smtp_server, feed, settings):
    settings.DIGEST_RATE = 0
    for i in range(40):
        subscriber(f"reader{i}@example.org")
    sending.plan(digest_period())
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
    recipients = [r for _, rcpts, _ in smtp_server.messages for r in rcpts]
    assert sorted(recipients) == sorted(f"reader{i}@example.org" for i in range(40))
    assert sum(r.sent for r in reports) == 40
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 40


def _env_for_subprocess(port: int) -> dict[str, str]:
    from django.conf import settings

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        url = f"postgresql://{db['USER']}@{host}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=url,
        DAILYPAPERS_DATA_DIR=str(settings.DATA_DIR),
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        DAILYPAPERS_DIGEST_RATE="25",
        DAILYPAPERS_DIGEST_LEASE_SECONDS="1",
        DAILYPAPERS_TIME_ZONE="UTC",
    )
    return env


@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_mid_run_loses_no_digest_and_duplicates_at_most_one(
    smtp_server, feed, settings
):
    readers = [f"reader{i}@example.org" for i in range(30)]
    for email in readers:
        subscriber(email)
    sending.plan(digest_period())
    env = _env_for_subprocess(smtp_server.port)
    command = [sys.executable, "-m", "dailypapers", "digest", "send", "--frequency", "daily"]
    sender = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while len(smtp_server.messages) < 8 and time.monotonic() < deadline and sender.poll() is None:
        time.sleep(0.01)
    sender.send_signal(signal.SIGKILL)
    output = sender.communicate()[0].decode()
    received_before = len(smtp_server.messages)
    assert 8 <= received_before < len(readers), output
    assert Delivery.objects.filter(status=Delivery.SENT).count() < len(readers)

    time.sleep(1.2)  # the killed worker's lease runs out
    restarted = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    recipients = [r for _, rcpts, _ in smtp_server.messages for r in rcpts]
    assert set(recipients) == set(readers)  # nobody lost
    assert len(recipients) - len(readers) <= 1  # at most the one message in flight, twice
    assert Delivery.objects.filter(status=Delivery.SENT).count() == len(readers)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_digest_run_sends_the_rest_after_a_restart(smtp_server, feed, tmp_path):
    """The real `dailypapers worker` (the huey consumer) SIGKILLed while its digest task sends:
    the task's lock must not outlive it, and the restarted worker delivers everything left."""
    readers = [f"reader{i}@example.org" for i in range(30)]
    for email in readers:
        subscriber(email)
    sending.plan(digest_period())
    env = _env_for_subprocess(smtp_server.port)
    env.update(DAILYPAPERS_INGEST_SOURCES="", DAILYPAPERS_SEMANTIC="false")
    task = "dailypapers.digests.tasks:send_digests"

    def wait_for(condition, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.02)

    worker = start_worker(env, task, tmp_path / "worker-1.log")
    try:
        wait_for(lambda: len(smtp_server.messages) >= 8 or worker.poll() is not None, 60)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    first_log = (tmp_path / "worker-1.log").read_text()
    assert 8 <= len(smtp_server.messages) < len(readers), first_log

    time.sleep(1.2)  # the killed worker's lease runs out
    worker = start_worker(env, task, tmp_path / "worker-2.log")
    try:
        sent = Delivery.objects.filter(status=Delivery.SENT)
        wait_for(lambda: sent.count() == len(readers) or worker.poll() is not None, 90)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    second_log = (tmp_path / "worker-2.log").read_text()
    assert "stale leases" in second_log  # the dead run's lease was released at start
    assert sent.count() == len(readers), second_log
    recipients = [r for _, rcpts, _ in smtp_server.messages for r in rcpts]
    assert set(recipients) == set(readers)  # nobody lost
    assert len(recipients) - len(readers) <= 1  # at most the one message in flight, twice


@pytest.mark.django_db
def test_sending_is_throttled(smtp_server, feed, settings):
    settings.DIGEST_RATE = 40
    for i in range(9):
        subscriber(f"reader{i}@example.org")
    sending.plan(digest_period())
    started = time.monotonic()
    assert sending.send_due().sent == 9
    assert time.monotonic() - started >= 8 / 40  # a lower bound: the throttle waited


# --- command line ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_digest_command_previews_dry_runs_and_sends(
    smtp_server, feed, tmp_path, settings, capsys
):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.TIME_ZONE = "UTC"
    subscriber("ada@example.org")
    call_command("digest", "send", "--frequency", "daily", "--dry-run")
    call_command("digest", "send", "--frequency", "daily", "--preview", str(tmp_path))
    assert (tmp_path / "daily-2026-05-28.eml").is_file()
    assert "Paper 0" in (tmp_path / "daily-2026-05-28.html").read_text()
    call_command("digest", "send", "--frequency", "daily", "--to", "me@example.org")
    assert len(smtp_server.to("me@example.org")) == 1
    with pytest.raises(CommandError, match="not an email address"):
        call_command("digest", "send", "--to", "nobody")
    assert smtp_server.to("ada@example.org") == []
    call_command("digest", "send", "--frequency", "daily")
    call_command("digest", "send", "--frequency", "daily")  # again: nothing twice
    out = capsys.readouterr().out
    assert "daily:2026-05-28: 1 digest(s) would be sent." in out
    assert "Digests: 1 sent" in out and "Digests: 0 sent" in out
    assert len(smtp_server.to("ada@example.org")) == 1
