"""A private instance (DAILYPAPERS_PRIVATE, issue 31, item 2): every route of the site and every
API operation, walked signed out, shows no paper; a personal token opens the feeds and the API;
sign-up is for invited addresses and allowed domains only; robots are turned away."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone
from lxml import etree

from dailypapers.api.models import ApiToken
from dailypapers.authors import index
from dailypapers.authors.models import Author, Organization
from dailypapers.community.models import Comment, Profile
from dailypapers.community.services import signup_open_to
from dailypapers.digests.models import Subscription
from dailypapers.feed.models import DailyEntry
from dailypapers.library import collections
from dailypapers.notifications import mail as notification_mail
from dailypapers.notifications.models import Follow
from dailypapers.papers.models import Paper, PaperCategory
from tests.web.routes import api_operations, example_body, web_routes

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
DAY = dt.date(2026, 5, 25)
# Distinctive words: found in an answer only if a paper leaked into it.
SHOWN = ("Quixotic Zeppelin Lattices", "2605.01234")  # the walk's addresses name this one
UNSEEN = ("Hyperbolic Walrus Sonatas", "2605.09876")  # no address names this one


@pytest.fixture
def private(settings):
    settings.PRIVATE = True
    settings.SIGNUP_DOMAINS = ["example.edu"]
    settings.SIGNUP_INVITED = ["guest@elsewhere.org"]
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"  # nothing is fetched


@pytest.fixture
def world(private):
    papers = []
    for title, arxiv_id in (SHOWN, UNSEEN):
        paper = Paper.objects.create(
            arxiv_id=arxiv_id,
            title=title,
            abstract=f"The abstract of {title}.",
            categories=["cs.LG"],
            authors=["Ada Lovelace"],
            organization="University of Oxford",
            listed_on=DAY,
            published_at=dt.datetime(2026, 5, 24, tzinfo=dt.UTC),
        )
        PaperCategory.objects.create(paper=paper, category="cs.LG")
        DailyEntry.objects.create(paper=paper, day=DAY, submitted_at=timezone.now())
        papers.append(paper)
    index.catch_up()
    ada = User.objects.create_user("ada", "ada@example.edu", PASSWORD)
    Profile.objects.create(user=ada, email_confirmed_at=timezone.now())
    token, secret = ApiToken.create_for(ada, "feeds")
    shelf = collections.create(ada, "Shelf", public=True)
    for paper in papers:
        collections.add(shelf, paper)
    comment = Comment.objects.create(
        paper=papers[0], author=ada, body="On Quixotic", body_html="<p>On Quixotic</p>"
    )
    Follow.objects.create(user=ada, kind=Follow.CATEGORY, value="cs.LG")
    Follow.objects.create(user=ada, kind=Follow.QUERY, value="walrus")
    sub = Subscription.objects.create(email="s@example.edu", confirmed_at=timezone.now())
    return {
        "papers": papers,
        "ada": ada,
        "secret": secret,
        "token": token,
        "shelf": shelf,
        "comment": comment,
        "sub": sub,
        "notify": notification_mail.settings_for(ada),
        "author": Author.objects.get(name="Ada Lovelace"),
        "org": Organization.objects.first(),
    }


def leaks(response, *, in_headers: bool = True) -> list[str]:
    """The paper titles and ids in an answer: its body, and its headers but for the sign-in
    address (which repeats the address asked for, not what is stored)."""
    text = b"".join(response) if response.streaming else response.content
    seen = [text.decode("utf-8", "replace")]
    seen += [f"{k}: {v}" for k, v in response.items() if k.lower() != "location"]
    words = (*SHOWN, *UNSEEN)
    found = [w for w in words if any(w in part for part in seen)]
    found += [w for w in UNSEEN if w in response.get("Location", "")]
    return found


def filled(world) -> dict[str, str]:
    """A real value for each kind of part of an address, so every route reaches its data."""
    return {
        "key": SHOWN[1],
        "day": DAY.isoformat(),
        "week": "2026-W22",
        "month": "2026-05",
        "category": "cs.LG",
        "username": "ada",
        "pk": str(world["shelf"].pk),
        "slug": "shelf",
        "section": "papers",
        "token": world["sub"].token,
        "uidb64": "MQ",
        "name": "thumbs/00/" + "0" * 32 + ".png",
        "provider_id": "sso",  # single sign-on's OpenID Connect provider
    }


def walk(world, client, skip: frozenset[str] = frozenset()) -> list[tuple]:
    """Every route of the site (GET, GET with a wrong token, POST) and every API operation
    (with no token and a wrong one), signed out: each answer with the papers it shows."""
    values = filled(world)
    per_route = {
        "people:author": world["author"].key,
        "people:author-rss": world["author"].key,
        "people:author-atom": world["author"].key,
        "people:author-json": world["author"].key,
        "people:merge": world["author"].key,
        "people:organization": world["org"].key if world["org"] else "x",
        "people:join": world["org"].key if world["org"] else "x",
        "people:notification-unsubscribe": world["notify"].token,
        "community:edit-comment": str(world["comment"].pk),
        "community:hide-comment": str(world["comment"].pk),
        "community:react": str(world["comment"].pk),
        "community:revoke-token": str(world["token"].pk),
    }
    answers = []
    for route in web_routes():
        if route.name in skip:
            continue
        url = route.url(lambda conv, param, name=route.name: per_route.get(name, values[param]))
        query = "q=walrus&" if route.name.startswith("papers:feed-search") else ""
        accept = "text/markdown" if route.name == "papers:paper" else "*/*"
        for method, address, body in (
            ("GET", f"{url}?{query}", ""),
            ("GET", f"{url}?{query}token=dp_wrong", ""),  # a wrong token opens nothing
            ("POST", f"{url}?{query}", "body=x&email=s%40example.edu"),
        ):
            response = client.generic(
                method, address, body, "application/x-www-form-urlencoded", HTTP_ACCEPT=accept
            )
            answers.append((route.name, method, address, response.status_code, leaks(response)))
    # The API's documents and every operation, with and without a wrong token.
    for url in ("/api/docs", "/api/openapi.json", "/api/nothing-here"):
        response = client.get(url)
        answers.append((url, "GET", url, response.status_code, leaks(response)))
    for op in api_operations():
        url = op.url(lambda name: {"collection_id": str(world["shelf"].pk)}.get(name, SHOWN[1]))
        body = json.dumps(example_body(op.body, SHOWN[1]))
        for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer dp_wrong"}):
            response = client.generic(op.method.upper(), url, body, "application/json", **headers)
            answers.append(
                (f"api {op.path}", op.method, url, response.status_code, leaks(response))
            )
    return answers


def test_every_route_signed_out_shows_no_paper(world, client):
    answers = walk(world, client)
    assert len(answers) >= 250
    assert [a for a in answers if a[4]] == []  # no title, no arXiv id
    assert [a for a in answers if a[3] >= 500 and a[0] != "readyz"] == []  # 503: not ready
    opened = [a for a in answers if a[3] == 200 and a[0] not in PRIVATE_OPEN]
    assert opened == []
    api = [a for a in answers if a[0].startswith(("api ", "/api/"))]
    assert len(api) >= 25 and {a[3] for a in api} == {401}


def test_the_walk_sees_the_papers_when_the_instance_is_public(world, client, settings):
    """The walk above proves something: the same walk on a public instance finds the papers."""
    settings.PRIVATE = False
    shown = {a[0] for a in walk(world, client) if a[4]}
    assert len(shown) >= 30, sorted(shown)
    assert {
        "papers:paper",
        "papers:paper-md",
        "papers:feed-daily-json",
        "api /api/daily_papers",
    } <= shown


# Routes a stranger may open on a private instance (none of them shows a paper).
PRIVATE_OPEN = {
    "healthz",
    "readyz",
    "robots",
    "metrics",
    "community:signup",
    "community:resend",
    "community:confirm",
    "community:login",
    "community:logout",
    "community:password-reset",
    "community:password-reset-sent",
    "community:password-reset-confirm",
    "community:password-reset-done",
    "digests:unsubscribe",
    "people:notification-unsubscribe",
    # Single sign-on's start and callback (none configured here: they answer 404 or go to
    # sign-in); allauth's other pages are not served at all.
    *(
        f"{p}_{step}"
        for p in ("github", "google", "orcid", "openid_connect")
        for step in ("login", "callback")
    ),
}


def test_signed_out_pages_go_to_sign_in_and_files_get_401(world, client):
    page = client.get("/papers/trending")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/login?next=/papers/trending"
    for url in ("/feeds/daily.rss", "/feeds/daily.json", f"/papers/{SHOWN[1]}.md"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response["Content-Type"].startswith("text/plain")
    api = client.get("/api/daily_papers")
    assert api.status_code == 401 and "private" in api.json()["error"]
    # Sign-in works, and then the site is open.
    login = client.post("/accounts/login", {"username": "ada", "password": PASSWORD})
    assert login.status_code == 302
    assert SHOWN[0] in client.get("/").content.decode()
    assert SHOWN[0] in client.get("/api/daily_papers").content.decode()


def test_a_token_opens_the_api_feeds_and_markdown_but_no_page(world, client):
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {world['secret']}"}
    assert SHOWN[0] in client.get("/api/daily_papers", **bearer).content.decode()
    assert client.get(f"/api/papers/{SHOWN[1]}", **bearer).json()["title"] == SHOWN[0]
    assert SHOWN[0] in client.get(f"/papers/{SHOWN[1]}.md", **bearer).content.decode()
    for feed in ("/feeds/daily.rss", "/feeds/daily.atom", "/feeds/daily.json"):
        assert SHOWN[0] in client.get(feed, **bearer).content.decode(), feed
        # Feed readers send no headers: the token in the address.
        by_query = client.get(f"{feed}?token={world['secret']}")
        assert by_query.status_code == 200 and SHOWN[0] in by_query.content.decode(), feed
        assert "private" in by_query["Cache-Control"]
    shelf = world["shelf"].pk
    for feed in (f"/collections/{shelf}.json", f"/authors/{world['author'].key}.json"):
        assert client.get(f"{feed}?token={world['secret']}").status_code == 200, feed
    # In the address for feeds (and the OPML file) only: not the API, Markdown or pages.
    assert client.get(f"/api/daily_papers?token={world['secret']}").status_code == 401
    assert client.get(f"/papers/{SHOWN[1]}.md?token={world['secret']}").status_code == 401
    assert client.get("/", **bearer).status_code == 302
    assert client.get(f"/?token={world['secret']}").status_code == 302
    # A wrong, revoked or banned token opens nothing.
    assert client.get("/feeds/daily.json?token=dp_wrong").status_code == 401
    world["ada"].is_active = False
    world["ada"].save()
    assert client.get("/api/daily_papers", **bearer).status_code == 401
    world["ada"].is_active = True
    world["ada"].save()
    world["token"].delete()
    assert client.get("/api/daily_papers", **bearer).status_code == 401


def test_the_opml_fetched_with_a_token_carries_it_to_every_feed(world, client):
    response = client.get(f"/following.opml?token={world['secret']}")
    assert response.status_code == 200
    feeds = [o.get("xmlUrl") for o in etree.fromstring(response.content).iter("outline")]
    feeds = [f for f in feeds if f]
    assert len(feeds) == 2
    for url in feeds:
        assert url.endswith(f"token={world['secret']}"), url
        answer = client.get(url.removeprefix("http://testserver"))
        assert answer.status_code == 200, url
    # Signed in, the file carries no token (none is known: only its hash is kept).
    ada = Client()
    ada.force_login(world["ada"])
    assert b"token=" not in ada.get("/following.opml").content


def test_robots_are_turned_away_and_nothing_is_shared_by_a_proxy(world, client, settings):
    robots = client.get("/robots.txt")
    assert robots.content.decode() == "User-agent: *\nDisallow: /\n"
    assert "noindex" in robots["X-Robots-Tag"]
    settings.PAGE_CACHE_SECONDS = 60
    ada = Client()
    ada.force_login(world["ada"])
    for url in ("/", "/papers/trending", f"/papers/{SHOWN[1]}/thumbnail.svg", "/feeds/daily.rss"):
        response = ada.get(url)
        assert response.status_code == 200, url
        control = response["Cache-Control"]
        assert "private" in control and "public" not in control, (url, control)
    # A stranger gets nothing from the cache a signed-in page might have filled.
    assert client.get("/").status_code == 302


def test_off_by_default(client):
    assert "Disallow: /\n" not in client.get("/robots.txt").content.decode()
    assert client.get("/papers/trending").status_code == 200


@pytest.mark.parametrize(
    "email, allowed",
    [
        ("ada@example.edu", True),
        ("Ada@EXAMPLE.EDU", True),
        ("ada@example.edu.", True),
        ("guest@elsewhere.org", True),
        ("GUEST@Elsewhere.org", True),
        ("other@elsewhere.org", False),
        ("ada@cs.example.edu", False),  # a subdomain is another domain
        ("ada@example.edu.evil.org", False),
        ("ada@evil-example.edu", False),
        ("ada@notexample.edu", False),
        ("ada@example.edu@evil.org", False),
        ('"ada@example.edu"@evil.org', False),
        ("ada@example.education", False),
        ("example.edu", False),
        ("@example.edu", False),
    ],
)
def test_sign_up_is_for_invited_addresses_and_allowed_domains(private, email, allowed):
    assert signup_open_to(email) is allowed


def test_the_sign_up_form_says_who_may_sign_up(private, client):
    refused = client.post(
        "/accounts/signup",
        {
            "username": "mallory",
            "email": "mallory@example.edu.evil.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert refused.status_code == 200
    assert "open only to invited addresses and to addresses at example.edu" in (
        refused.content.decode()
    )
    assert not User.objects.filter(username="mallory").exists() and not mail.outbox
    accepted = client.post(
        "/accounts/signup",
        {
            "username": "bea",
            "email": "bea@example.edu",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert accepted.status_code == 200 and User.objects.filter(username="bea").exists()


def test_a_private_instance_with_no_list_lets_no_one_sign_up(settings):
    settings.PRIVATE = True
    settings.SIGNUP_DOMAINS = []
    settings.SIGNUP_INVITED = []
    assert not signup_open_to("ada@example.edu")
    settings.PRIVATE = False
    assert signup_open_to("ada@example.edu")
    settings.SIGNUP_DOMAINS = ["example.edu"]  # a public instance may limit sign-up too
    assert signup_open_to("ada@example.edu") and not signup_open_to("ada@example.org")
