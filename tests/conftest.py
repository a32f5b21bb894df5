from __future__ import annotations

import gzip
import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# CI replays the same generated examples every run; elsewhere hypothesis explores new ones.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def arxiv_row(arxiv_id: str, **fields: object) -> dict:
    row = {
        "id": arxiv_id,
        "title": f"Paper {arxiv_id}",
        "abstract": f"Abstract of {arxiv_id}.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "stat.ML"],
        "primary_category": "cs.LG",
        "comment": None,
        "listed_date": "2026-05-04",
    }
    row.update(fields)
    return row


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write rows (dicts, or raw strings for malformed lines) as JSONL, gzip if the name says."""

    def write(name: str, rows: list[dict | str]) -> Path:
        path = tmp_path / name
        text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
        return path

    return write


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return SHARED_DATA


class Inbox:
    """An aiosmtpd handler that keeps every message it receives.

    `script` maps a recipient to the answers its next RCPT commands get ("451 ...", "550 ..."),
    in order; once they run out, or for anyone else, the answer is 250.
    """

    def __init__(self) -> None:
        self.messages: list = []
        self.script: dict[str, list[str]] = {}
        self.refused: list[tuple[str, str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answers = self.script.get(address)
        if answers:
            answer = answers.pop(0)
            self.refused.append((address, answer))
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for _, rcpts, m in self.messages if address in rcpts]

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        message.raw = envelope.original_content or envelope.content  # the bytes as received
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, in this process; Django's mail goes to it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    from dailypapers.core.mail import mail_settings, parse_email_url

    for name, value in mail_settings(*parse_email_url(f"smtp://127.0.0.1:{port}")).items():
        setattr(settings, name, value)
    yield inbox
    controller.stop()


@pytest.fixture(autouse=True)
def own_data_dir(settings, tmp_path):
    """Each test has its own data directory, so derived data (the search index) never leaks."""
    settings.DATA_DIR = tmp_path / "data"
    settings.STORAGES = {
        **settings.STORAGES,
        "content": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "data" / "content")},
        },
    }
    from dailypapers.search import fulltext, semantic

    fulltext.FullTextIndex.forget()
    semantic.VectorIndex.forget()
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def today(monkeypatch):
    """Set the day the site thinks it is: `today(dt.date(2026, 5, 28))`."""
    import datetime as dt

    from dailypapers.feed import listings

    def set_today(day: dt.date) -> dt.date:
        monkeypatch.setattr(listings, "today", lambda: day)
        return day

    return set_today


class FakeClock:
    """Time that moves only when the client sleeps, so waits are exact and tests are instant."""

    def __init__(self) -> None:
        self.now = 1_780_000_000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def arxiv(settings, clock):
    """A replay server standing in for arXiv's API, OAI-PMH and listing hosts."""
    from tests.replay_server import ReplayServer

    with ReplayServer(clock.time) as server:
        settings.ARXIV_API_URL = f"{server.url}/api/query"
        settings.ARXIV_OAI_URL = f"{server.url}/oai"
        settings.ARXIV_LISTING_URL = f"{server.url}/rss/"
        yield server


@pytest.fixture
def polite(clock, tmp_path):
    """arXiv's polite client on the fake clock: waits cost no time and are recorded."""
    from dailypapers.core.http import PoliteClient

    client = PoliteClient(
        delay=3.0, retries=2, sleep=clock.sleep, clock=clock.time, lock_path=tmp_path / "lock"
    )
    yield client
    client.close()
