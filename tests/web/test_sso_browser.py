"""Single sign-on end to end (issue 31, item 1): a real chromium (Playwright) signs in on the site
under test (pytest-django's live server, on SQLite or PostgreSQL) through a real OpenID Connect
provider, django-oauth-toolkit in a child process (tests/oidc_provider): its sign-in page, its
consent page with Allow and Cancel, its signed ID tokens and userinfo."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.db import connections

from dailypapers.community.models import Profile

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DAILYPAPERS_TEST_ARTIFACTS", ROOT / "test-artifacts"))
PASSWORD = "correct horse battery staple"
PROVIDER_PASSWORD = "provider-password-42"
CLIENT_ID, SECRET = "dailypapers-test-client", "test-only-client-secret-0123456789"
PROVIDER_USERS = [
    ("newcomer", "newcomer@example.edu"),
    ("ada", "ada@example.edu"),  # the same address as the local account `ada`
    ("unverified-ada", "ada@example.edu"),  # the provider never verified this one
    ("outsider", "outsider@elsewhere.org"),
    # A dotless i: PostgreSQL's UPPER() makes it TIM@EXAMPLE.EDU, a local account's address.
    ("look-alike", "t\u0131m@example.edu"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    """The provider's issuer URL; its one client may come back to the live server's callback."""
    work = tmp_path_factory.mktemp("oidc-provider")
    port = free_port()
    config = {
        "db": str(work / "provider.sqlite3"),
        "users": [[name, email, PROVIDER_PASSWORD] for name, email in PROVIDER_USERS],
        "client_id": CLIENT_ID,
        "secret": SECRET,
        "redirect_uris": f"{live_server.url}/accounts/sso/oidc/lab/callback",
    }
    (work / "config.json").write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    log = (work / "provider.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(port), str(work / "config.json")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    issuer = f"http://127.0.0.1:{port}/o"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.1)
    else:
        os.killpg(server.pid, signal.SIGKILL)
        raise AssertionError((work / "provider.log").read_text()[-3000:])
    assert server.poll() is None, (work / "provider.log").read_text()[-3000:]
    yield issuer
    os.killpg(server.pid, signal.SIGTERM)
    server.wait()
    log.close()


def oidc(server_url: str) -> dict:
    """SOCIALACCOUNT_PROVIDERS as settings.sso_providers makes it from the environment."""
    from dailypapers.core import conf
    from dailypapers.settings import sso_providers

    return sso_providers(
        conf.load(
            {
                "DAILYPAPERS_SSO_OIDC_CLIENT_ID": CLIENT_ID,
                "DAILYPAPERS_SSO_OIDC_SECRET": SECRET,
                "DAILYPAPERS_SSO_OIDC_SERVER_URL": server_url,
                "DAILYPAPERS_SSO_OIDC_NAME": "Lab SSO",
                "DAILYPAPERS_SSO_OIDC_ID": "lab",
                # Shown beside it (the screenshot): never clicked, nothing is fetched from them.
                "DAILYPAPERS_SSO_GITHUB_CLIENT_ID": "gh-test",
                "DAILYPAPERS_SSO_GITHUB_SECRET": "gh-secret",
                "DAILYPAPERS_SSO_GOOGLE_CLIENT_ID": "google-test",
                "DAILYPAPERS_SSO_GOOGLE_SECRET": "google-secret",
                "DAILYPAPERS_SSO_ORCID_CLIENT_ID": "APP-TEST",
                "DAILYPAPERS_SSO_ORCID_SECRET": "orcid-secret",
            }
        )
    )


@pytest.fixture
def sso(settings, provider):
    settings.SOCIALACCOUNT_PROVIDERS = oidc(provider)
    return provider


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own database reads
    # between browser steps are plain synchronous calls all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()
        # The test's connections live in the context Playwright's loop made: closed here, in
        # it, or PostgreSQL's test database could not be dropped at the end of the run.
        connections.close_all()


def open_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def through_provider(page, live_server, username: str, consent: str = "Authorize"):
    """From our sign-in page, through the provider's sign-in and consent pages, back here."""
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_role("button", name="Continue with Lab SSO").click()
    page.wait_for_url("**/accounts/login/**")  # the provider's own sign-in page
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()
    page.wait_for_url("**/o/authorize/**")
    page.locator(f"input[type=submit][value={consent}]").click()
    page.wait_for_url(f"{live_server.url}/**")
    page.wait_for_load_state()


def signed_in_as(page, live_server) -> str:
    """The user name the site greets the browser with (its profile link), or ""."""
    page.goto(f"{live_server.url}/")
    link = page.locator("a[href^='/users/']").first
    return link.get_attribute("href").removeprefix("/users/") if link.count() else ""


def test_a_new_user_signs_up_through_the_provider_and_is_signed_in(sso, browser, live_server):
    page = open_page(browser)
    page.goto(f"{live_server.url}/accounts/login")
    buttons = page.locator(".sso button").all_inner_texts()
    assert buttons == [
        "Continue with GitHub",
        "Continue with Google",
        "Continue with Lab SSO",
        "Continue with ORCID",
    ]
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "sso-sign-in.png"), full_page=True)
    through_provider(page, live_server, "newcomer")
    assert page.url.rstrip("/") == live_server.url
    user = User.objects.get(email="newcomer@example.edu")
    assert signed_in_as(page, live_server) == user.username
    assert user.username == "newcomer"
    assert not user.has_usable_password()
    assert Profile.objects.get(user=user).email_confirmed_at is not None  # as after confirming
    account = SocialAccount.objects.get(user=user)
    assert account.provider == "lab"
    # Signing in again finds the same account.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_role("button", name="Continue with Lab SSO").click()
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password]", PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()
    page.wait_for_url("**/o/authorize/**")
    page.locator("input[type=submit][value=Authorize]").click()
    page.wait_for_url(f"{live_server.url}/**")
    assert signed_in_as(page, live_server) == "newcomer"
    assert User.objects.filter(email__iexact="newcomer@example.edu").count() == 1


def local_ada(confirmed: bool = True) -> User:
    ada = User.objects.create_user("ada", "ada@example.edu", PASSWORD)
    Profile.objects.create(user=ada, email_confirmed_at=ada.date_joined if confirmed else None)
    return ada


def test_an_existing_local_account_with_the_verified_address_is_linked(sso, browser, live_server):
    ada = local_ada()
    page = open_page(browser)
    through_provider(page, live_server, "ada")
    assert signed_in_as(page, live_server) == "ada"
    assert User.objects.filter(email__iexact="ada@example.edu").count() == 1  # not duplicated
    assert SocialAccount.objects.get(provider="lab").user == ada
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD)  # the password still works too


def test_an_unverified_provider_address_never_takes_over_a_local_account(sso, browser, live_server):
    ada = local_ada()
    page = open_page(browser)
    through_provider(page, live_server, "unverified-ada")
    assert page.locator("h1").inner_text() == "Sign-in refused"
    assert "did not tell us a verified email address" in page.content()
    assert signed_in_as(page, live_server) == ""
    assert not SocialAccount.objects.exists()
    assert list(User.objects.all()) == [ada]


def test_a_look_alike_address_is_not_the_local_account_s(sso, browser, live_server):
    """`t\u0131m@example.edu` (verified at the provider) is not Tim's address, though the
    database's case-insensitive match folds it into his on PostgreSQL."""
    tim = User.objects.create_user("tim", "tim@example.edu", PASSWORD)
    Profile.objects.create(user=tim, email_confirmed_at=tim.date_joined)
    page = open_page(browser)
    through_provider(page, live_server, "look-alike")
    assert signed_in_as(page, live_server) != "tim"
    assert not SocialAccount.objects.filter(user=tim).exists()


def test_a_staff_account_is_not_linked_by_its_address(sso, browser, live_server):
    """Whoever holds the provider's account would hold the site: staff sign in by password."""
    ada = local_ada()
    ada.is_staff = True
    ada.save(update_fields=["is_staff"])
    page = open_page(browser)
    through_provider(page, live_server, "ada")
    assert "is a staff account" in page.content()
    assert signed_in_as(page, live_server) == ""
    assert not SocialAccount.objects.exists() and User.objects.count() == 1


def test_an_unconfirmed_local_account_is_not_linked(sso, browser, live_server):
    """Someone who signed up with Ada's address and never confirmed it keeps no claim on it:
    the account is not handed over (its password may be a squatter's), nor is a second made."""
    local_ada(confirmed=False)
    page = open_page(browser)
    through_provider(page, live_server, "ada")
    assert "waiting for its address to be confirmed" in page.content()
    assert signed_in_as(page, live_server) == ""
    assert not SocialAccount.objects.exists() and User.objects.count() == 1


def test_a_refused_consent_ends_here_with_a_message_and_no_account(sso, browser, live_server):
    page = open_page(browser)
    through_provider(page, live_server, "newcomer", consent="Cancel")
    assert page.url.startswith(live_server.url)
    assert page.locator("h1").inner_text() == "Sign-in cancelled"
    assert "You did not allow Lab SSO to sign you in here" in page.content()
    assert "no account was made" in page.content()
    assert signed_in_as(page, live_server) == ""
    assert not User.objects.exists() and not SocialAccount.objects.exists()


def test_a_provider_that_is_down_gives_a_clear_error_page(settings, browser, live_server):
    settings.SOCIALACCOUNT_PROVIDERS = oidc(f"http://127.0.0.1:{free_port()}/o")  # closed port
    page = open_page(browser)
    page.goto(f"{live_server.url}/accounts/login")
    with page.expect_response(lambda r: "/accounts/sso/oidc/lab/login" in r.url) as answer:
        page.get_by_role("button", name="Continue with Lab SSO").click()
    assert answer.value.status == 502
    assert page.locator("h1").inner_text() == "Sign-in failed"
    assert "Lab SSO could not be reached just now" in page.content()
    assert page.locator("header").count() == 1  # the site's own layout
    assert not User.objects.exists()


def test_a_provider_that_goes_down_before_the_callback_gives_a_clear_error_page(
    sso, settings, browser, live_server
):
    page = open_page(browser)
    page.goto(f"{live_server.url}/accounts/login")
    page.get_by_role("button", name="Continue with Lab SSO").click()
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password]", PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()
    page.wait_for_url("**/o/authorize/**")
    # The provider is gone by the time it sends the browser back (its address now a closed
    # port): the code cannot be exchanged.
    settings.SOCIALACCOUNT_PROVIDERS = oidc(f"http://127.0.0.1:{free_port()}/o")
    with page.expect_response(lambda r: "/accounts/sso/oidc/lab/callback" in r.url) as answer:
        page.locator("input[type=submit][value=Authorize]").click()
    assert answer.value.status == 502
    assert "Lab SSO could not be reached just now" in page.content()
    assert signed_in_as(page, live_server) == ""
    assert not User.objects.exists()


def test_a_private_instance_refuses_an_address_outside_its_domains(
    sso, settings, browser, live_server
):
    settings.PRIVATE = True
    settings.SIGNUP_DOMAINS = ["example.edu"]
    page = open_page(browser)
    through_provider(page, live_server, "outsider")
    assert page.locator("h1").inner_text() == "Sign-in refused"
    assert "open only to invited addresses and to addresses at example.edu" in page.content()
    assert not User.objects.exists() and not SocialAccount.objects.exists()
    # The private instance lets the flow through for an address it admits.
    page = open_page(browser)
    through_provider(page, live_server, "newcomer")
    assert signed_in_as(page, live_server) == "newcomer"
