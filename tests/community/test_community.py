"""Accounts, votes, comments, submissions, roles and abuse resistance, via the test client."""

import datetime as dt
import re
import socket
import threading

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from dailypapers.community import services
from dailypapers.community.markdown import render_markdown
from dailypapers.community.models import Comment, Profile, Vote
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper

# Windows this long never roll over during a test (a limit counted in a window that started
# just before the test could otherwise reset between two requests).
FIXED_WINDOW = 10**9
pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
DAY = dt.date(2026, 5, 25)


@pytest.fixture
def paper():
    p = Paper.objects.create(
        arxiv_id="2605.00001", title="A paper worth discussing", upvotes_imported=4
    )
    DailyEntry.objects.create(
        paper=p, day=DAY, submitted_at=dt.datetime.combine(DAY, dt.time(), tzinfo=dt.UTC)
    )
    return p


def make_user(name="ada", **extra):
    user = User.objects.create_user(name, f"{name}@example.org", PASSWORD, **extra)
    Profile.objects.create(user=user, email_confirmed_at=timezone.now())
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def entry_votes(paper) -> int:
    return Paper.objects.get(pk=paper.pk).upvotes


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


# --- accounts ----------------------------------------------------------------------------------


def test_sign_up_confirm_by_email_then_sign_in(client):
    response = client.post(
        "/accounts/signup",
        {
            "username": "grace",
            "email": "grace@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["grace@example.org"]
    assert message.subject == "Confirm your email address for Daily Papers"
    assert message.alternatives[0][1] == "text/html"

    refused = client.post("/accounts/login", {"username": "grace", "password": PASSWORD})
    assert "Confirm your email address first" in refused.content.decode()

    path = link_in(message).split("testserver", 1)[1]
    page = client.get(path)  # a GET (a mail scanner) confirms nothing
    assert "Confirm and sign in" in page.content.decode()
    assert Profile.objects.get(user__username="grace").email_confirmed_at is None
    confirmed = client.post(path)
    assert confirmed.status_code == 302
    assert Profile.objects.get(user__username="grace").email_confirmed_at is not None
    assert "grace" in client.get("/").content.decode()  # signed in
    assert client.post(path).status_code == 400  # a used link does not work twice


def test_sign_up_never_says_whether_an_address_has_an_account(client):
    make_user("ada")
    weak = client.post(
        "/accounts/signup",
        {"username": "other", "email": "ADA@example.org", "password1": "123", "password2": "123"},
    )
    assert "too short" in weak.content.decode() and "already" not in weak.content.decode()
    form = {"password1": PASSWORD, "password2": PASSWORD}
    taken = client.post(
        "/accounts/signup", {"username": "other", "email": "ADA@example.org", **form}
    )
    fresh = client.post("/accounts/signup", {"username": "new", "email": "new@example.org", **form})
    # The same page for both; the owner of the known address is told by mail instead.
    assert taken.status_code == fresh.status_code == 200
    assert (
        "Check your email" in taken.content.decode()
        and "Check your email" in fresh.content.decode()
    )
    assert not User.objects.filter(username="other").exists()
    assert [m.to for m in mail.outbox] == [["ada@example.org"], ["new@example.org"]]
    assert "already has one" in mail.outbox[0].body and "ada" in mail.outbox[0].body


def test_passwords_are_hashed_with_argon2id():
    from dailypapers import settings as product

    assert product.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert make_password("x", hasher="argon2").startswith("argon2$argon2id$")


def test_login_rotates_the_session_and_logout_destroys_it(client):
    make_user("ada")
    client.get("/accounts/login")
    client.session["marker"] = 1
    before = client.cookies.get("sessionid")
    response = client.post("/accounts/login", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert before is None or before.value != after
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.get("/accounts/logout").status_code == 405  # no state change on GET
    client.post("/accounts/logout")
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=after).exists()


def test_session_cookies_are_secure_over_https():
    make_user("ada")
    client = Client()
    response = client.post(
        "/accounts/login", {"username": "ada", "password": PASSWORD}, secure=True
    )
    assert response.cookies["sessionid"]["secure"] is True
    plain = Client().post("/accounts/login", {"username": "ada", "password": PASSWORD})
    assert not plain.cookies["sessionid"]["secure"]


def test_password_reset_by_email(client):
    make_user("ada")
    client.post("/accounts/password-reset", {"email": "ada@example.org"})
    assert len(mail.outbox) == 1
    path = link_in(mail.outbox[0]).split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    new = "an entirely new passphrase 42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert Client().login(username="ada", password=new)


def test_the_profile_page_lists_submissions_votes_and_comments(client, paper):
    ada = make_user("ada")
    DailyEntry.objects.filter(paper=paper).update(submitted_by=ada)
    services.set_vote(ada, paper, True)
    services.add_comment(ada, paper, "Great *paper*.")
    html = client.get("/users/ada").content.decode()
    assert html.count("A paper worth discussing") == 3
    assert "<em>paper</em>" in html
    assert client.get("/users/nobody").status_code == 404


# --- votes -------------------------------------------------------------------------------------


def test_voting_without_javascript(paper):
    client = signed_in(make_user())
    response = client.post(f"/vote/{paper.key}", {"vote": "1", "next": "/papers/date/2026-05-25"})
    assert response.url == "/papers/date/2026-05-25"
    assert entry_votes(paper) == 5
    client.post(f"/vote/{paper.key}", {"vote": "1"})  # twice: still one vote
    assert entry_votes(paper) == 5
    page = client.get(f"/papers/{paper.key}").content.decode()
    assert 'aria-pressed="true"' in page
    client.post(f"/vote/{paper.key}", {"vote": "0"})
    assert entry_votes(paper) == 4
    assert client.post(f"/vote/{paper.key}", {"next": "https://evil.example"}).url == (
        paper.get_absolute_url()
    )


def test_voting_with_htmx_returns_the_new_button(paper):
    client = signed_in(make_user())
    response = client.post(f"/vote/{paper.key}", {"vote": "1"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith("<form")
    assert "<strong>5</strong>" in html and 'aria-pressed="true"' in html
    assert 'name="vote" value="0"' in html  # the next click removes it


def test_anonymous_votes_go_to_sign_in_and_get_votes_nothing(client, paper):
    assert client.post(f"/vote/{paper.key}").url.startswith("/accounts/login?next=")
    htmx = client.post(f"/vote/{paper.key}", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"].startswith("/accounts/login")
    assert signed_in(make_user()).get(f"/vote/{paper.key}").status_code == 405
    assert entry_votes(paper) == 4


@pytest.mark.django_db(transaction=True)
def test_a_vote_race_ends_with_the_exact_count(paper):
    users = [make_user(f"u{i}") for i in range(12)]
    for user in users[:4]:
        services.set_vote(user, paper, True)  # these four will take theirs back
    barrier = threading.Barrier(len(users) * 2)
    errors = []

    def act(user, wanted):
        try:
            barrier.wait()
            services.set_vote(user, paper, wanted)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(user, wanted))
        for user in users
        for wanted in ([False, False] if user in users[:4] else [True, True])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Vote.objects.filter(paper=paper).count() == 8
    paper.refresh_from_db()
    assert (paper.upvotes_local, paper.upvotes) == (8, 12)


# --- comments ----------------------------------------------------------------------------------


def test_comments_and_one_level_replies(paper):
    ada, bob = make_user("ada"), make_user("bob")
    client = signed_in(ada)
    response = client.post(f"/comments/new/{paper.key}", {"body": "Nice **result**."})
    top = Comment.objects.get()
    assert response.url == f"/papers/{paper.key}#comment-{top.pk}"
    assert top.body_html == "<p>Nice <strong>result</strong>.</p>\n"
    signed_in(bob).post(f"/comments/new/{paper.key}", {"body": "Agreed.", "parent": top.pk})
    reply = Comment.objects.get(body="Agreed.")
    client.post(f"/comments/new/{paper.key}", {"body": "Thanks!", "parent": reply.pk})
    assert Comment.objects.get(body="Thanks!").parent == top  # a reply to a reply joins the thread
    html = client.get(f"/papers/{paper.key}").content.decode()
    assert "Comments (3)" in html and html.index("Agreed.") < html.index("Thanks!")
    assert Paper.objects.get(pk=paper.pk).num_comments == 3
    empty = client.post(f"/comments/new/{paper.key}", {"body": "   "}, follow=True)
    assert "This field is required." in empty.content.decode()
    assert Comment.objects.count() == 3


def test_authors_edit_for_a_while_only(paper, settings):
    settings.COMMENT_EDIT_MINUTES = 15
    ada = make_user("ada")
    comment = services.add_comment(ada, paper, "Frist!")
    client = signed_in(ada)
    client.post(f"/comments/{comment.pk}/edit", {"body": "First!"})
    comment.refresh_from_db()
    assert (comment.body, comment.edited_at is not None) == ("First!", True)
    assert signed_in(make_user("bob")).get(f"/comments/{comment.pk}/edit").status_code == 404
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=16)
    )
    assert client.post(f"/comments/{comment.pk}/edit", {"body": "Late"}).status_code == 404
    comment.refresh_from_db()
    assert comment.body == "First!"


def test_moderators_hide_comments_and_others_cannot(paper):
    ada = make_user("ada")
    comment = services.add_comment(ada, paper, "Buy cheap watches")
    refused = signed_in(ada).post(f"/comments/{comment.pk}/hide")
    assert refused.status_code == 403
    moderator = make_user("mod")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    signed_in(moderator).post(f"/comments/{comment.pk}/hide", {"reason": "spam"})
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_by == moderator
    assert Paper.objects.get(pk=paper.pk).num_comments == 0
    html = Client().get(f"/papers/{paper.key}").content.decode()
    assert "Buy cheap watches" not in html and "hidden by a moderator: spam" in html
    signed_in(moderator).post(f"/comments/{comment.pk}/hide", {"hidden": "0"})
    assert Paper.objects.get(pk=paper.pk).num_comments == 1


XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![pixel](https://tracker.example/p.gif)",
    '<svg onload="alert(1)"><circle/></svg>',
    "<iframe src=https://evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '[x](https://ok.example "a" onmouseover="alert(1)")',
    "<details open ontoggle=alert(1)>",
    "`<script>` in code is text",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="vbscript:msgbox(1)">x</a>',
    "<form action=https://evil.example><button>Go</button></form>",
    "[ok](https://example.org)",
]


SAFE_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr"}


def assert_inert(html: str) -> None:
    """Only allowlisted elements, no event handlers or styles, links only to http(s)/mailto."""
    from lxml import html as lxml_html

    for element in lxml_html.fragment_fromstring(html, create_parent="div").iter():
        if element.tag == "div" and element.getparent() is None:
            continue
        assert element.tag in SAFE_TAGS | {"h1", "h2", "h3", "h4", "h5", "h6"}, element.tag
        for name, value in element.attrib.items():
            assert name in {"href", "title", "rel", "start"}, (element.tag, name)
            if name == "href":
                assert value.lower().startswith(("http://", "https://", "mailto:")), value


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_markdown_comments_render_inert(payload):
    html = render_markdown(payload)
    assert_inert(html)
    if "https://example.org" in payload:
        assert '<a href="https://example.org" rel="nofollow noopener ugc">ok</a>' in html


def test_an_xss_comment_is_inert_on_the_page(paper, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": (100, FIXED_WINDOW)}
    ada = make_user("ada")
    client = signed_in(ada)
    for payload in XSS_CORPUS:
        client.post(f"/comments/new/{paper.key}", {"body": payload})
    html = client.get(f"/papers/{paper.key}").content.decode()
    from lxml import html as lxml_html

    bodies = lxml_html.fromstring(html).find_class("body")
    assert len(bodies) == len(XSS_CORPUS)
    for body in bodies:
        assert_inert("".join(lxml_html.tostring(child, encoding="unicode") for child in body))


# --- submissions -------------------------------------------------------------------------------


def test_submitting_needs_an_account(client):
    assert client.get("/submit").url.startswith("/accounts/login?next=/submit")


def test_submit_refuses_malformed_and_duplicate_ids_with_a_message(paper):
    client = signed_in(make_user())
    malformed = client.post("/submit", {"arxiv_id": "2613.12345"})
    assert (
        malformed.status_code == 400 and "the month must be 01 to 12" in malformed.content.decode()
    )
    duplicate = client.post("/submit", {"arxiv_id": "https://arxiv.org/abs/2605.00001v2"})
    assert duplicate.url == "/papers/2605.00001"
    page = client.get(duplicate.url).content.decode()
    assert "already in the feed (since May 25, 2026): your upvote was counted" in page
    assert entry_votes(paper) == 5 and DailyEntry.objects.count() == 1


def test_submitting_is_limited_per_person_per_day(paper, settings):
    settings.SUBMISSIONS_PER_DAY = 1
    ada = make_user("ada")
    DailyEntry.objects.filter(paper=paper).update(submitted_by=ada, submitted_at=timezone.now())
    response = signed_in(ada).post("/submit", {"arxiv_id": "2605.00002"})
    assert "You can submit 1 papers a day" in response.content.decode()


def test_submitting_fetches_from_arxiv(settings, today):
    from tests.ingest.test_ingest import xml
    from tests.replay_server import ReplayServer

    with ReplayServer(lambda: 0.0) as server:
        settings.ARXIV_API_URL = f"{server.url}/api/query"
        settings.ARXIV_DELAY = 0.0
        server.route("/api/query", xml("api_2512.24880.xml"), id_list="2512.24880")
        server.route("/api/query", xml("api_unknown.xml"), id_list="2605.99999")
        today_day = today(dt.date(2026, 1, 2))  # two days after its first version
        client = signed_in(make_user("ada"))
        unknown = client.post("/submit", {"arxiv_id": "2605.99999"})
        assert "arXiv has no paper 2605.99999" in unknown.content.decode()
        response = client.post("/submit", {"arxiv_id": "2512.24880"})
    assert response.url == "/papers/2512.24880"
    entry = DailyEntry.objects.get(paper__arxiv_id="2512.24880")
    assert (entry.submitted_by.username, entry.source, entry.day) == ("ada", "user", today_day)
    assert "is in today" in client.get(response.url).content.decode()


def test_submitting_while_arxiv_is_down_answers_quickly_with_a_message(settings, today):
    """Someone waits for the page: one retry, no long waits, then "try again later" and nothing
    written (not the harvests' patience, which kept the page silent for 49 s)."""
    from tests.replay_server import ReplayServer, Reply

    today(dt.date(2026, 1, 2))
    client = signed_in(make_user("ada"))
    settings.ARXIV_DELAY = 0.0
    with socket.socket() as closed:  # a port nothing listens on: connections are refused
        closed.bind(("127.0.0.1", 0))
        settings.ARXIV_API_URL = f"http://127.0.0.1:{closed.getsockname()[1]}/api/query"
    refused = client.post("/submit", {"arxiv_id": "2512.24880"})
    assert refused.status_code == 400
    assert "arXiv could not be reached just now; try again later." in refused.content.decode()
    with ReplayServer(lambda: 0.0) as server:
        settings.ARXIV_API_URL = f"{server.url}/api/query"
        server.route("/api/query", Reply(503, b"busy", {"Retry-After": "600"}))
        busy = client.post("/submit", {"arxiv_id": "2512.24880"})
        assert "try again later" in busy.content.decode()
        assert len(server.hits) == 1  # asked to wait ten minutes: given up at once
        server.route("/api/query", Reply(503, b"busy"))
        server.hits.clear()
        client.post("/submit", {"arxiv_id": "2512.24880"})
        assert len(server.hits) == 2  # one retry, about a second later
    assert not Paper.objects.exists() and not DailyEntry.objects.exists()


# --- abuse resistance --------------------------------------------------------------------------


def test_votes_past_the_limit_get_429_with_a_message(paper, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": (2, FIXED_WINDOW)}
    client = signed_in(make_user())
    for wanted in ("1", "0"):
        assert client.post(f"/vote/{paper.key}", {"vote": wanted}).status_code == 302
    response = client.post(f"/vote/{paper.key}", {"vote": "1"})
    assert response.status_code == 429
    assert "Too many votes. Try again in" in response.content.decode()
    assert int(response["Retry-After"]) >= 1
    assert entry_votes(paper) == 4


def test_login_attempts_are_limited_per_address_and_username(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (3, FIXED_WINDOW)}
    make_user("ada")
    client = Client()
    for _ in range(3):
        assert (
            client.post("/accounts/login", {"username": "ada", "password": "wrong"}).status_code
            == 200
        )
    blocked = client.post("/accounts/login", {"username": "ada", "password": PASSWORD})
    assert blocked.status_code == 429 and "Too many sign-in attempts" in blocked.content.decode()
    # The lock is per address and user name: nobody elsewhere can lock Ada out.
    other_address = Client(REMOTE_ADDR="10.9.8.7")
    assert (
        other_address.post("/accounts/login", {"username": "ada", "password": PASSWORD}).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("scope", "url", "data"),
    [
        ("signup", "/accounts/signup", {"username": "x"}),
        ("comment", "/comments/new/2605.00001", {"body": "hi"}),
        ("submit", "/submit", {"arxiv_id": "2605.00001"}),
        ("password-reset", "/accounts/password-reset", {"email": "a@example.org"}),
    ],
)
def test_every_write_has_a_rate_limit(paper, settings, scope, url, data):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (1, FIXED_WINDOW)}
    client = signed_in(make_user())
    client.post(url, data)
    assert client.post(url, data).status_code == 429


def test_a_forged_csrf_post_is_refused(paper):
    user = make_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(f"/vote/{paper.key}", {"vote": "1"}).status_code == 403
    assert client.post("/accounts/logout").status_code == 403
    assert entry_votes(paper) == 4
    page = client.get(f"/papers/{paper.key}")
    token = page.cookies.get("csrftoken") or client.cookies["csrftoken"]
    ok = client.post(f"/vote/{paper.key}", {"vote": "1", "csrfmiddlewaretoken": token.value})
    assert ok.status_code == 302 and entry_votes(paper) == 5


# --- roles and the admin -----------------------------------------------------------------------


def test_roles_exist_with_their_permissions():
    curators = set(
        Group.objects.get(name="Curators").permissions.values_list("codename", flat=True)
    )
    moderators = set(
        Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True)
    )
    assert "feature_paper" in curators
    assert {"moderate_comment", "ban_user"} <= moderators
    assert "change_user" not in moderators  # cannot grant themselves anything


def test_a_curator_features_a_paper_in_the_admin(paper):
    curator = make_user("cur", is_staff=True)
    curator.groups.add(Group.objects.get(name="Curators"))
    entry = DailyEntry.objects.get(paper=paper)
    client = signed_in(curator)
    client.post(
        "/admin/feed/dailyentry/",
        {"action": "feature", "_selected_action": [entry.pk]},
    )
    entry.refresh_from_db()
    assert entry.featured
    assert "Featured" in client.get("/papers/date/2026-05-25").content.decode()


def test_a_moderator_bans_someone_who_then_cannot_sign_in(paper):
    moderator = make_user("mod", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    spammer = make_user("spammer")
    spammer_client = signed_in(spammer)
    signed_in(moderator).post(
        "/admin/community/profile/",
        {"action": "ban", "_selected_action": [spammer.profile.pk]},
    )
    spammer.refresh_from_db()
    assert not spammer.is_active and spammer.profile.banned_at is not None
    assert "spammer" not in spammer_client.get("/").content.decode()  # the session is over
    refused = Client().post("/accounts/login", {"username": "spammer", "password": PASSWORD})
    assert "This account has been banned" in refused.content.decode()


def test_the_admin_works_for_every_model():
    from django.contrib import admin

    client = signed_in(make_user("root", is_staff=True, is_superuser=True))
    for model in admin.site._registry:
        meta = model._meta
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        assert client.get(base).status_code == 200, base
        assert client.get(f"{base}add/").status_code in (200, 403), base


def test_the_confirmation_mail_goes_through_a_real_smtp_server(client, smtp_server):
    client.post(
        "/accounts/signup",
        {
            "username": "grace",
            "email": "grace@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    [(sender, recipients, message)] = smtp_server.messages
    assert recipients == ["grace@example.org"] and "noreply@localhost" in sender
    assert message["Subject"] == "Confirm your email address for Daily Papers"
    assert message.is_multipart()
    text = message.get_body(("plain",)).get_content()
    path = re.search(r"http://testserver(\S+)", text).group(1)
    assert client.post(path).status_code == 302
    assert Profile.objects.get(user__username="grace").email_confirmed_at is not None


def test_a_limit_counts_per_fixed_window():
    from dailypapers.community.ratelimit import hit

    start = 1_800_000_000 - 1_800_000_000 % 60
    assert [hit("t:k", 2, 60, now=start + s).allowed for s in (0, 10, 59)] == [True, True, False]
    again = hit("t:k", 2, 60, now=start + 61)  # a new window
    assert (again.allowed, again.count) == (True, 1)
    assert hit("t:k", 2, 60, now=start + 62).retry_after == 58
