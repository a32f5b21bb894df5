"""Through a real browser: Debian's chromium driven by Playwright against `dailypapers serve`.

The server runs as a subprocess on a fresh data directory (the demo papers), its mail goes to an
aiosmtpd server in this process, and screenshots of the main pages are kept in
`test-artifacts/screenshots/` (or $DAILYPAPERS_TEST_ARTIFACTS).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install chromium)",
)
ARTIFACTS = (
    Path(
        os.environ.get(
            "DAILYPAPERS_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"
        )
    )
    / "screenshots"
)
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def inbox():
    from aiosmtpd.controller import Controller

    from tests.conftest import Inbox

    box = Inbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


def server_env(data_dir: Path, port: int, inbox, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DAILYPAPERS_", "DATABASE_", "DJANGO_"))
    }
    env.update(
        DAILYPAPERS_DATA_DIR=str(data_dir),
        DAILYPAPERS_SITE_URL=f"http://127.0.0.1:{port}",
        EMAIL_URL=f"smtp://127.0.0.1:{inbox.port}",
        DAILYPAPERS_ACCESS_LOG="false",
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory, inbox):
    port = free_port()
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    yield from serve(data_dir, port, server_env(data_dir, port, inbox))


def serve(data_dir: Path, port: int, env: dict[str, str]):
    """Run `dailypapers serve` on the data directory; yield its address until the module ends."""
    log = data_dir.parent / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dailypapers",
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--no-worker",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            break
        except OSError:
            time.sleep(0.1)
    else:
        os.killpg(server.pid, signal.SIGKILL)
        raise AssertionError(log.read_text()[-2000:])
    yield base
    os.killpg(server.pid, signal.SIGTERM)
    server.wait()


@pytest.fixture(scope="module")
def imported_site(tmp_path_factory, inbox):
    """A site that imported the shared data: Hugging Face's daily papers and three arXiv months."""
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    port = free_port()
    data_dir = tmp_path_factory.mktemp("imported") / "data"
    # Every catalogue paper is older than 7 days here: a wide window lets the test submit one.
    env = server_env(
        data_dir, port, inbox, DAILYPAPERS_AUTO_DEMO="false", DAILYPAPERS_SUBMIT_WINDOW_DAYS="3650"
    )
    cli = [sys.executable, "-m", "dailypapers"]
    months = [SHARED_DATA / "arxiv-daily" / f"papers-{m}.jsonl.gz" for m in (2603, 2604, 2605)]
    hf = SHARED_DATA / "hf-daily-papers" / "hf_daily_papers.jsonl"
    for command in (
        ["migrate", "-v0"],
        ["import", "hf", str(hf), "--no-progress"],
        ["import", "arxiv", *map(str, months), "--no-progress"],
    ):
        subprocess.run([*cli, *command], env=env, check=True, capture_output=True)
    yield from serve(data_dir, port, env)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def mail_link(inbox, address: str, pattern: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in reversed(inbox.to(address)):
            match = re.search(pattern, message.get_body(("plain",)).get_content())
            if match:
                return match.group(0)
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address} with {pattern}")


def sign_up(page, site: str, inbox, name: str) -> None:
    """Create an account through the pages and confirm it from the mail."""
    page.goto(site + "/accounts/signup")
    page.fill("#id_username", name)
    page.fill("#id_email", f"{name}@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    assert "Check your email" in page.content()
    confirm = r"http://127\.0\.0\.1:\d+/accounts/confirm/\S+"
    page.goto(mail_link(inbox, f"{name}@example.org", confirm))
    page.get_by_role("button", name="Confirm and sign in").click()


def test_browse_days_sort_filter_and_open_a_paper(site, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(site + "/")
    assert page.locator("h1").inner_text() == "May 28, 2026"
    assert page.locator("li.card").count() == 29  # Hugging Face's pick of that day
    votes = [int(v) for v in page.locator("li.card .vote strong").all_inner_texts()]
    assert votes == sorted(votes, reverse=True) and votes[0] == 42
    # A function, not an expression: polling an expression needs eval, which the CSP forbids.
    page.wait_for_function("() => document.querySelector('li.card .thumb img').complete")
    assert page.locator("li.card .thumb img").first.evaluate("img => img.naturalWidth") == 640
    shot(page, "home")
    page.get_by_role("link", name="Previous").click()
    assert page.locator("h1").inner_text() == "May 27, 2026"
    # With JavaScript, choosing applies at once (htmx swaps the list and updates the address).
    page.select_option("select[name=sort]", "newest")
    page.wait_for_url("**sort=newest**")
    page.select_option("select[name=category]", "cs.CV")
    page.wait_for_url("**category=cs.CV**")
    expect(page.locator(".count")).to_contain_text("in cs.CV")
    # The date picker jumps to any day.
    page.fill("input[name=day]", "2026-05-25")
    page.locator("input[name=day]").dispatch_event("change")
    page.wait_for_url("**/papers/date/2026-05-25")
    expect(page.locator("h1")).to_have_text("May 25, 2026")
    # htmx may still be settling the swap (its history snapshot): a click then can be lost on a
    # busy machine, so wait for the page to be idle before leaving it.
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Weekly", exact=True).first.click()
    page.wait_for_url("**/papers/week/2026-W22**")
    shot(page, "week")
    title = page.locator("li.card h2 a").first.inner_text()
    page.locator("li.card h2 a").first.click()
    assert page.locator("h1").inner_text() == title
    assert page.locator("section.related li a").count() >= 1  # related papers
    shot(page, "paper")
    page.goto(site + "/papers/trending")
    shot(page, "trending")
    phone = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    phone.goto(site + "/")
    shot(phone, "home-phone-dark")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling


def test_sign_up_confirm_vote_comment_search(site, browser, inbox):
    page = browser.new_page()
    sign_up(page, site, inbox, "grace")
    assert "Welcome" in page.content()

    page.goto(site + "/papers/date/2026-05-28")
    assert page.evaluate("typeof htmx") == "object"  # the vendored htmx was served and loaded
    page.evaluate("window.notReloaded = true")  # a navigation would reset this
    button = page.locator("form.vote button").first
    before = int(button.locator("strong").inner_text())
    url = page.url
    button.click()  # with JavaScript: htmx swaps the button in place
    page.wait_for_function(
        "n => Number(document.querySelector('form.vote button strong').textContent) === n",
        arg=before + 1,
    )
    assert page.url == url and page.evaluate("window.notReloaded") is True
    assert "voted" in page.locator("form.vote").first.get_attribute("class").split()

    page.locator("li.card h2 a").first.click()
    page.fill("#body-new", "A **fine** paper.")
    page.get_by_role("button", name="Comment").click()
    assert page.locator(".comment .body strong").first.inner_text() == "fine"
    shot(page, "paper-with-comment")
    page.goto(site + "/users/grace")  # the upvote and the comment show on the profile
    assert page.locator(".profile-lists li").count() == 1
    assert page.locator(".comments .comment strong").inner_text() == "fine"
    shot(page, "profile-with-activity")

    page.fill("input[name=q]", "vision language")
    page.locator("input[name=q]").press("Enter")
    page.wait_for_url("**/search?q=vision+language")
    assert page.locator("li.card").count() > 0
    shot(page, "search")


def test_voting_works_without_javascript(site, browser, inbox):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_up(page, site, inbox, "nojs")
    page.goto(site + "/papers/date/2026-05-27")
    before = int(page.locator("form.vote button strong").first.inner_text())
    page.locator("form.vote button").first.click()  # a plain form POST, then a redirect back
    page.wait_for_load_state()
    assert page.url.endswith("/papers/date/2026-05-27")
    assert int(page.locator("form.vote button strong").first.inner_text()) == before + 1
    context.close()


def test_subscribe_and_unsubscribe(site, browser, inbox):
    page = browser.new_page()
    page.goto(site + "/")
    page.fill("#sub-email-footer", "reader@example.org")
    page.locator("form.subscribe").get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/digest/subscribe")
    page.wait_for_load_state()
    assert "Check your email" in page.content()
    page.goto(mail_link(inbox, "reader@example.org", r"http://127\.0\.0\.1:\d+/digest/confirm/\S+"))
    page.get_by_role("button", name="Confirm").click()
    assert "active" in page.content()
    shot(page, "digest-settings")
    page.get_by_role("button", name="Unsubscribe").click()
    assert "Unsubscribed" in page.content()


AXE = Path(__file__).parents[1] / "vendor" / "axe-core-4.14.1" / "axe.min.js"


# What a demanding designer checks on every main page, at a laptop's and a phone's width, in
# light and dark: nothing runs off the side, no text is cut by its box, the header keeps to one
# line on a laptop, the first paper starts in the phone's first screen, and axe-core (WCAG 2 A and
# AA rules: contrast, names, labels, landmarks...) finds nothing. Every page is photographed into
# test-artifacts/screenshots/design/ to be looked at.
SCREENS = {"laptop": (1280, 800), "phone": (390, 844)}
SIGNED_OUT = {
    "home": "/",
    "paper": None,  # the first paper of the home page
    "arxiv": "/arxiv",
    "search": "/search?q=vision+language",
    "search-empty": "/search?q=qwxzjkvbbt",
    "not-found": "/no/such/page",
    "login": "/accounts/login",
    "signup": "/accounts/signup",
}
SIGNED_IN = {
    "home-signed-in": "/",
    "week": "/papers/week/2026-W22",
    "month": "/papers/month/2026-05",
    "trending": "/papers/trending",
    "empty-day": "/papers/date/2026-05-24",
    "paper-signed-in": None,
    "submit": "/submit",
    "profile": "/users/margaret_hamilton",
    "for-you-new-reader": "/for-you",
    "collections": "/collections",
}
CLIPPED = """() => [...document.querySelectorAll('.card *, .row *')]
    .filter(el => !el.closest('.sr'))  // visually hidden on purpose, for screen readers
    .filter(el => el.clientWidth > 0 && getComputedStyle(el).display !== 'inline')
    .filter(el => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
    .map(el => el.className + ': ' + el.textContent.trim().slice(0, 60))"""
HEADER_ROWS = """() => {
    const parts = [...document.querySelector('.site-header .wrap').children]
        .filter(el => el.offsetWidth > 0).map(el => el.getBoundingClientRect());
    return Math.max(...parts.map(r => r.top)) < Math.min(...parts.map(r => r.bottom)) ? 1 : 2;
}"""


@pytest.fixture(scope="module")
def signed_in_state(site, browser, inbox):
    """A session of a user with a long name (the header must still fit)."""
    context = browser.new_context()
    sign_up(context.new_page(), site, inbox, "margaret_hamilton")
    state = context.storage_state()
    context.close()
    return state


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("screen", ["laptop", "phone"])
def test_every_main_page_is_designed_for_laptops_and_phones(
    site, browser, signed_in_state, screen, scheme
):
    from playwright.sync_api import expect

    width, height = SCREENS[screen]
    out = ARTIFACTS / "design"
    out.mkdir(parents=True, exist_ok=True)
    for pages, state in ((SIGNED_OUT, None), (SIGNED_IN, signed_in_state)):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=scheme,
            bypass_csp=True,  # axe is injected as an inline script, which the CSP forbids
            storage_state=state,
        )
        page = context.new_page()
        page.goto(site + "/")
        paper = page.locator("li.card h2 a").first.get_attribute("href")
        if screen == "phone":  # the first paper's title is in the first screen, under the header
            box = page.locator("li.card h2").first.bounding_box()
            assert box["y"] + box["height"] <= height, (state is not None, box)
        if screen == "laptop" and state:
            assert page.evaluate(HEADER_ROWS) == 1  # brand, search, tabs, account: one line
            assert page.locator("header .account summary").inner_text() == "margaret_hamilton"
            page.locator("header .account summary").click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
            page.screenshot(path=str(out / f"account-menu-{scheme}.png"))
        if screen == "phone" and state:  # the avatar stands for the name beside the brand
            brand = page.locator("header .brand").bounding_box()
            account = page.locator("header .account").bounding_box()
            assert account["y"] < brand["y"] + brand["height"], (brand, account)
        for name, path in pages.items():
            response = page.goto(site + (path or paper))
            assert response.status < 500, name
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            assert page.evaluate(CLIPPED) == [], name
            page.screenshot(path=str(out / f"{name}-{screen}-{scheme}.png"), full_page=True)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
            found = [(v["id"], v["nodes"][0]["target"]) for v in result["violations"]]
            assert found == [], (name, found)
            assert len(result["passes"]) > 15, name
        context.close()


def test_the_keyboard_reaches_the_content_first(site, browser):
    page = browser.new_page()
    page.goto(site + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.wait_for_url("**/#main")  # following the link is asynchronous
    page.keyboard.press("Tab")  # then the search box, the navigation, ... all reachable
    assert page.evaluate("document.activeElement.tagName") in ("INPUT", "A", "SELECT", "BUTTON")


def test_imports_fill_the_catalogue_and_the_feed_stays_the_communitys_pick(
    imported_site, browser, inbox
):
    site = imported_site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + "/")
    # The home page opens on Hugging Face's latest day: tens of papers, most upvoted first.
    assert page.locator("h1").inner_text() == "May 28, 2026"
    cards = page.locator("li.card")
    assert 10 <= cards.count() <= 60
    votes = [int(v) for v in page.locator("li.card .vote strong").all_inner_texts()]
    assert votes == sorted(votes, reverse=True) and votes[0] > 0
    shot(page, "imported-home")
    # The month ranks by votes: May's most upvoted paper comes first.
    page.goto(site + "/papers/month/2026-05")
    assert page.locator("li.card h2 a").first.get_attribute("href") == "/papers/2605.02881"
    shot(page, "imported-month")
    # New on arXiv lists the firehose: the catalogue's latest announcement day.
    page.goto(site + "/arxiv")
    assert page.locator("h1").inner_text().startswith("New on arXiv")
    assert page.locator("li.row").count() == 100  # a full first page
    shot(page, "imported-arxiv")
    # Signed in, one click submits a paper from it into today's feed.
    sign_up(page, site, inbox, "curious")
    page.goto(site + "/arxiv")
    row = page.locator("li.row", has=page.locator("form.submit-one")).first
    title = row.locator("h2 a").inner_text()
    row.get_by_role("button", name="Submit to Daily").click()
    page.wait_for_load_state()
    assert "/arxiv" in page.url and "is in today" in page.content()
    page.goto(site + "/")
    assert title in page.locator("li.card h2 a").all_inner_texts()
    shot(page, "imported-home-after-submit")


def demo_site_after(tmp_path_factory, inbox, name: str, command: list[str]):
    """Serve the demo site after one more `dailypapers` command was run on it."""
    port = free_port()
    data_dir = tmp_path_factory.mktemp(name) / "data"
    env = server_env(data_dir, port, inbox)
    for step in (["migrate", "-v0"], ["demo"], command):
        subprocess.run(
            [sys.executable, "-m", "dailypapers", *step], env=env, check=True, capture_output=True
        )
    yield from serve(data_dir, port, env)


@pytest.fixture(scope="module")
def content_site(tmp_path_factory, inbox):
    """The demo site after the PDF of the day's most upvoted paper was read."""
    pdf = Path(__file__).parents[1] / "fixtures" / "pdf" / "paper.pdf"
    command = ["content", "import", "2605.28820", str(pdf)]
    yield from demo_site_after(tmp_path_factory, inbox, "content", command)


def test_a_read_pdf_shows_its_first_page_on_the_card_and_the_paper_page(content_site, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(content_site + "/papers/date/2026-05-28")
    card = page.locator("li.card", has=page.locator("a[href='/papers/2605.28820']")).first
    image = card.locator(".thumb img")
    assert image.get_attribute("src").startswith("/content/thumbs/")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [640, 240]
    expect(card.locator(".summary .generated")).to_have_text("generated")
    # Cards of papers whose PDF was not read keep their title card.
    assert page.locator("li.card .thumb img[src$='thumbnail.svg']").count() == 28
    shot(page, "feed-with-first-pages")
    page.goto(content_site + "/papers/2605.28820")
    preview = page.locator(".first-page img")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
    )
    assert preview.evaluate("img => img.naturalWidth") == 960
    expect(page.get_by_role("link", name="Read as Markdown")).to_be_visible()
    shot(page, "paper-with-first-page")
    page.close()


@pytest.fixture(scope="module")
def people_site(tmp_path_factory, inbox):
    """The demo site with its author index built (what the worker does beside `serve`)."""
    command = ["authors", "sync", "--no-progress"]
    yield from demo_site_after(tmp_path_factory, inbox, "people", command)


def test_claim_follow_react_and_be_told(people_site, browser, inbox):
    """Two people through the pages: one claims a paper and follows its author; the other
    mentions her in a comment; she sees the bell's count, the notification, and reacts."""
    from playwright.sync_api import expect

    site = people_site
    ada = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_up(ada, site, inbox, "adalove")
    ada.goto(site + "/papers/2605.28820")
    ada.select_option("select[name=position]", index=1)
    ada.get_by_role("button", name="Claim").click()
    expect(ada.locator(".flash")).to_contain_text("waits for a curator")
    name = ada.locator("section.claim strong").inner_text()
    ada.locator(".paper .authors a.author").nth(1).click()  # the claimed name's author page
    expect(ada.locator("h1")).to_have_text(name)
    ada.get_by_role("button", name="Follow").click()
    expect(ada.get_by_role("button", name="Following ✓")).to_be_visible()
    shot(ada, "author-page")

    bob = browser.new_page()
    sign_up(bob, site, inbox, "bobreads")
    bob.goto(site + "/papers/2605.28820")
    bob.fill("#body-new", "@adalove is this your section 3?")
    bob.get_by_role("button", name="Comment").click()
    expect(bob.locator(".comment .body").last).to_contain_text("is this your section 3?")

    ada.goto(site + "/")
    expect(ada.locator("a.bell .badge")).to_have_text("1")
    shot(ada, "notifications-bell")
    ada.locator("a.bell").click()
    expect(ada.locator(".notifications li").first).to_contain_text("bobreads mentioned you")
    shot(ada, "notifications")
    ada.locator(".notifications li a").first.click()
    comment = ada.locator(".comment").last
    comment.locator(".add-reaction summary").click()
    comment.locator(".add-reaction button[value='tada']").click()  # htmx swaps the bar
    expect(comment.locator(".reactions .reaction.mine")).to_contain_text("1")
    shot(ada, "paper-claimed-with-reaction")
    ada.close()
    bob.close()


@pytest.fixture(scope="module")
def personal_site(tmp_path_factory, inbox):
    """The demo site with its papers embedded (what the worker does beside `serve`)."""
    yield from demo_site_after(tmp_path_factory, inbox, "personal", ["index", "sync"])


def test_save_from_cards_annotate_and_reorder_a_collection(personal_site, browser, inbox):
    """Save two papers from the feed's cards (htmx: the button changes in place), give one a
    note, reorder, make the collection public."""
    from playwright.sync_api import expect

    site = personal_site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_up(page, site, inbox, "hopper_reads")
    page.goto(site + "/")
    titles = [page.locator("li.card h2 a").nth(i).inner_text() for i in (0, 1)]
    for i in (0, 1):
        card = page.locator("li.card").nth(i)
        card.get_by_role("button", name="Save").click()
        expect(card.get_by_role("button", name="Saved")).to_be_visible()
    assert page.url.rstrip("/") == site  # no page load: htmx swapped the buttons
    page.goto(site + "/collections")
    page.get_by_role("link", name="Reading list").click()
    expect(page.locator("li.row h2")).to_have_text(titles)
    page.locator("li.row").nth(1).locator("summary").click()
    page.locator("li.row").nth(1).locator("textarea").fill("Read the ablations first.")
    page.locator("li.row").nth(1).get_by_role("button", name="Save note").click()
    expect(page.locator("li.row p.note")).to_have_text("Note: Read the ablations first.")
    page.locator("li.row").nth(1).locator("summary").click()
    page.locator("li.row").nth(1).get_by_role("button", name="Top").click()
    expect(page.locator("li.row h2").first).to_have_text(titles[1])
    page.locator("details.edit-collection summary").click()
    page.fill("textarea[name=description]", "Vision-language papers for Thursday.")
    page.check("input[name=public]")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".collection-description")).to_have_text(
        "Vision-language papers for Thursday."
    )
    shot(page, "collection")
    page.goto(site + "/for-you?range=week")
    expect(page.locator("p.why").first).to_contain_text("which you saved")
    assert page.locator("li.row").count() >= 10
    for title in titles:  # what you saved is not recommended back to you
        assert page.locator("li.row h2", has_text=title).count() == 0
    shot(page, "for-you")
