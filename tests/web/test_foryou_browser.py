"""For you in a real chromium (Playwright, pytest-django's live server, SQLite or PostgreSQL):
the picks with their reasons, "More like this" / "Not interested" through htmx with Undo, the
reader's own new papers apart, and the settings page. Screenshots go to docs/images/ (used in
docs/collections.md) and test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from dailypapers.authors.models import Claim
from dailypapers.library import collections
from dailypapers.library.models import Feedback
from tests.library.test_foryou import shelf  # noqa: F401 (a fixture)
from tests.library.test_personal import DAY, TOPICS, user

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DAILYPAPERS_TEST_ARTIFACTS", ROOT / "test-artifacts"))
DOCS_IMAGES = ROOT / "docs" / "images"


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()
        connections.close_all()


def shoot(page, name: str) -> None:
    for folder in (ARTIFACTS / "screenshots", DOCS_IMAGES):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name), full_page=False)


def test_for_you_with_reasons_feedback_and_own_papers(browser, live_server, shelf, today):  # noqa: F811
    today(DAY)
    reader = user("ada")
    Claim.objects.create(user=reader, paper=shelf["mine"], position=0, status=Claim.ACCEPTED)
    collections.add(collections.create(reader, "Reading"), shelf["folding"])
    client = Client()
    client.force_login(reader)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/for-you?range=week")
    own = page.locator("section.own-papers")
    assert "Your new papers" in own.inner_text()
    assert shelf["own"].title in own.inner_text()
    picks = page.locator("ol.foryou-rows > li")
    assert picks.count() >= 5
    assert shelf["own"].title not in page.locator("ol.foryou-rows").inner_text()
    assert "which you saved" in picks.first.inner_text()
    shoot(page, "foryou.png")
    # "Not interested" on the first pick: htmx swaps its buttons for what was said and Undo.
    first = picks.first
    title = first.locator("h3").inner_text()
    first.get_by_role("button", name="Not interested").click()
    first.get_by_text("Not interested: papers like this go down.").wait_for()
    assert first.get_by_role("button", name="Undo").is_visible()
    paper = Feedback.objects.get(user=reader).paper
    assert paper.title == title and Feedback.objects.get(user=reader).kind == Feedback.LESS
    # "More like this" on the second.
    second = picks.nth(1)
    second.get_by_role("button", name="More like this").click()
    second.get_by_text("You asked for more like this.").wait_for()
    shoot(page, "foryou-feedback.png")
    # The next ranking: the disliked paper is gone, a reason names the liked one.
    page.goto(f"{live_server.url}/for-you?range=week")
    assert title not in page.locator("ol.foryou-rows").inner_text()
    # The settings page lists both; Undo there takes one back.
    page.goto(f"{live_server.url}/for-you/settings")
    assert title in page.content() and "More like these" in page.content()
    shoot(page, "foryou-settings.png")
    page.get_by_role("button", name="Undo").first.click()
    page.wait_for_load_state()
    assert Feedback.objects.filter(user=reader).count() == 1
    assert TOPICS  # the shelf's candidates are the For you tests' ones
    context.close()
