"""People: author names normalised, author pages, merges offered and never made silently, and
citing (BibTeX and RIS, parsed back by the libraries reference managers' formats are read with)."""

from __future__ import annotations

import datetime as dt

import bibtexparser
import feedparser
import pytest
import rispy
from django.contrib.auth.models import Permission, User

from dailypapers.authors import index, names
from dailypapers.authors import services as service
from dailypapers.authors.models import Author, PaperAuthor
from dailypapers.feed.models import DailyEntry
from dailypapers.papers import cite, store
from dailypapers.papers.models import Paper, PaperCategory
from dailypapers.papers.records import PaperRecord

UTC = dt.UTC


def page_data(key: str) -> service.AuthorPage:
    return service.author_page(service.resolve(key))


# Real tricky names: each row is two spellings of one written name (same key).
SAME = [
    ("Yann LeCun", "LeCun, Yann"),
    ("Yann LeCun", "YANN LECUN"),
    ("María José García", r"Mar\'{i}a Jos\'e Garc\'{\i}a"),  # TeX accents, as arXiv keeps them
    ("María José García", "Maria Jose Garcia"),
    ("Jan van der Berg", "van der Berg, Jan"),
    ("Jean-Pierre Dupont", "Jean Pierre Dupont"),
    ("Łukasz Kaiser", "Lukasz Kaiser"),
    ("\uff39\uff41\uff4e\uff4e LeCun", "Yann LeCun"),  # fullwidth letters (NFKC)
    ("Kai-Wei Chang", "Kai–Wei Chang"),  # en dash
    ("Sebastian Ruder", "  Sebastian   Ruder "),
]
# ... and two written names that are not made one, though they may be the same person.
APART_BUT_MAYBE = [
    ("Yann LeCun", "Y. LeCun"),
    ("Zhang Wei", "Wei Zhang"),  # a Chinese name in both orders
    ("Jean-Pierre Dupont", "J.-P. Dupont"),
    ("Jan van der Berg", "J. van der Berg"),
]
APART = [
    ("Yann LeCun", "Yves LeCunn"),
    ("A. Smith", "Bob Smith"),
    ("Wei Zhang", "Wei Zhao"),
    ("John Smith Jr.", "John Smith"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_spellings_of_one_name_share_a_key(a, b):
    assert names.key(a) == names.key(b)


@pytest.mark.parametrize(("a", "b"), APART_BUT_MAYBE)
def test_initials_and_orders_are_kept_apart_but_offered(a, b):
    assert names.key(a) != names.key(b)
    assert names.maybe_same(names.words(a), names.words(b))


@pytest.mark.parametrize(("a", "b"), APART)
def test_different_names_stay_apart(a, b):
    assert names.key(a) != names.key(b)
    assert not names.maybe_same(names.words(a), names.words(b))


def test_keys_of_names_in_other_scripts_and_of_nothing():
    assert names.key("张伟") == "张伟"
    assert names.key("...") == "" and names.key("") == ""
    assert len(names.key("a" * 500)) <= names.MAX_LENGTH


def paper(arxiv_id: str, authors: list[str], day: dt.date, votes: int = 0, **fields) -> Paper:
    categories = fields.pop("categories", ["cs.LG"])
    created = Paper.objects.create(
        arxiv_id=arxiv_id,
        title=fields.pop("title", f"On {arxiv_id}"),
        abstract="An abstract.",
        authors=authors,
        categories=categories,
        primary_category=categories[0],
        published_at=dt.datetime.combine(day, dt.time(12), UTC),
        upvotes_imported=votes,
        **fields,
    )
    for code in categories:
        PaperCategory.objects.create(paper=created, category=code)
    return created


@pytest.fixture
def lecun():
    paper("2605.00001", ["Yann LeCun", "Yoshua Bengio"], dt.date(2026, 1, 5), 10)
    paper(
        "2605.00002", ["LeCun, Yann", "Léon Bottou"], dt.date(2026, 3, 1), 5, categories=["cs.CV"]
    )
    paper("2605.00003", ["Y. LeCun", "Yoshua Bengio"], dt.date(2024, 2, 2), 1)
    paper("2605.00004", ["Geoffrey Hinton"], dt.date(2026, 2, 2), 7)
    index.catch_up()


@pytest.mark.django_db
def test_the_index_follows_the_change_log(lecun):
    yann = Author.objects.get(key="yann-lecun")
    assert yann.name == "Yann LeCun"
    assert PaperAuthor.objects.filter(author=yann).count() == 2
    assert index.catch_up() == 0  # nothing new
    # A bulk upsert (an import, a harvest) is in the log like any write.
    store.upsert(
        [
            PaperRecord(
                title="On 2605.00004",
                arxiv_id="2605.00004",
                version=2,
                authors=["Geoffrey E. Hinton", "Yann LeCun"],
            ),
            PaperRecord(title="New", arxiv_id="2605.00009", authors=["Yann LeCun", "Yann LeCun"]),
        ]
    )
    assert PaperAuthor.objects.filter(author=yann).count() == 2  # not yet: the worker applies it
    assert index.catch_up() == 2
    assert PaperAuthor.objects.filter(author=yann).count() == 4  # a name listed twice counts once
    assert not PaperAuthor.objects.filter(author__key="geoffrey-hinton").exists()
    # A save of another kind (the admin) and a delete too.
    hinton = Paper.objects.get(arxiv_id="2605.00004")
    hinton.authors = ["Geoffrey Hinton"]
    hinton.save()
    gone = Paper.objects.get(arxiv_id="2605.00009")
    gone.delete()
    index.catch_up()
    assert PaperAuthor.objects.filter(author=yann).count() == 2
    assert PaperAuthor.objects.filter(author__key="geoffrey-hinton").count() == 1
    # A rebuild gives the same index.
    before = set(PaperAuthor.objects.values_list("paper_id", "author__key", "position"))
    assert index.rebuild() == Paper.objects.count()
    assert set(PaperAuthor.objects.values_list("paper_id", "author__key", "position")) == before


@pytest.mark.django_db
def test_a_cursor_that_cannot_be_followed_rebuilds(lecun):
    from dailypapers.authors.models import AuthorIndex
    from dailypapers.papers import changes

    changes.new_epoch()  # as after `dailypapers restore`
    PaperAuthor.objects.all().delete()
    assert index.catch_up() == Paper.objects.count()
    assert PaperAuthor.objects.filter(author__key="yann-lecun").count() == 2
    assert AuthorIndex.objects.get().rebuilt_at is not None


@pytest.mark.django_db
def test_author_page(client, lecun):
    page = client.get("/authors/yann-lecun")
    assert page.status_code == 200
    data = page_data("yann-lecun")
    assert [p.arxiv_id for p in data.papers] == ["2605.00002", "2605.00001"]  # newest first
    assert (data.total, data.upvotes) == (2, 15)
    assert (data.first, data.last) == (dt.date(2026, 1, 5), dt.date(2026, 3, 1))
    assert [(a.name, n) for a, n in data.co_authors] == [("Léon Bottou", 1), ("Yoshua Bengio", 1)]
    assert data.categories == [("cs.CV", 1), ("cs.LG", 1)]
    # Initials are offered as maybe the same person, not merged.
    assert [(a.key, n) for a, n in data.similar] == [("y-lecun", 1)]
    html = page.content.decode()
    assert "perhaps the same person" in html and "Same person: merge here" not in html
    assert 'href="/search?q=author%3A%22Yann%20LeCun%22"' in html
    # Other spellings of the address lead to the page; an unknown name is a 404.
    assert client.get("/authors/LeCun, Yann").url == "/authors/yann-lecun"
    assert client.get("/authors/nobody-here").status_code == 404
    feed = feedparser.parse(client.get("/authors/yann-lecun.rss").content)
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == ["2605.00002", "2605.00001"]
    assert feed.feed.title == "Papers by Yann LeCun"


@pytest.mark.django_db
def test_names_are_links_on_cards_paper_pages_and_rows(client, lecun):
    entry = Paper.objects.get(arxiv_id="2605.00002")
    DailyEntry.objects.create(
        paper=entry, day=dt.date(2026, 3, 2), submitted_at=dt.datetime(2026, 3, 2, tzinfo=UTC)
    )
    feed = client.get("/papers/date/2026-03-02").content.decode()
    assert '<a class="author" href="/authors/yann-lecun">LeCun, Yann</a>' in feed
    page = client.get("/papers/2605.00002").content.decode()
    assert '<a class="author" href="/authors/leon-bottou">Léon Bottou</a>' in page
    own = client.get("/authors/yann-lecun").content.decode()
    assert '<strong class="author">LeCun, Yann</strong>' in own  # the page's own name: not a link


@pytest.mark.django_db
def test_only_curators_merge_and_a_merge_can_be_undone(client, lecun):
    user = User.objects.create_user("reader", "r@example.org", "x" * 12)
    client.force_login(user)
    assert client.post("/authors/y-lecun/merge", {"into": "yann-lecun"}).status_code == 403
    assert Author.objects.get(key="y-lecun").merged_into is None
    user.user_permissions.add(Permission.objects.get(codename="merge_author"))
    user = User.objects.get(pk=user.pk)
    client.force_login(user)
    assert "Same person: merge here" in client.get("/authors/yann-lecun").content.decode()
    response = client.post("/authors/y-lecun/merge", {"into": "yann-lecun"})
    assert response.url == "/authors/yann-lecun"
    assert client.get("/authors/y-lecun").url == "/authors/yann-lecun"
    data = page_data("yann-lecun")
    assert data.total == 3 and [a.key for a in data.forms] == ["yann-lecun", "y-lecun"]
    assert data.similar == []
    # Merging an author into itself, or into a form of itself, is refused.
    client.post("/authors/yann-lecun/merge", {"into": "y-lecun"})
    assert Author.objects.get(key="yann-lecun").merged_into is None
    client.post("/authors/y-lecun/merge", {"unmerge": "1"})
    assert page_data("yann-lecun").total == 2
    assert client.get("/authors/y-lecun").status_code == 200


# --- citing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "last", "first"),
    [
        ("Jan van der Berg", "van der Berg", "Jan"),
        ("Yann LeCun", "LeCun", "Yann"),
        ("LeCun, Yann", "LeCun", "Yann"),
        ("Martin Luther King Jr.", "King Jr.", "Martin Luther"),
        ("Plato", "Plato", ""),
        ("Ludwig van Beethoven", "van Beethoven", "Ludwig"),
    ],
)
def test_names_for_citations(name, last, first):
    assert cite.last_first(name) == (last, first)


@pytest.mark.django_db
def test_bibtex_and_ris_parse_back(client):
    made = paper(
        "2605.00007",
        ["María José García", "Jan van der Berg", "Wei Zhang"],
        dt.date(2026, 5, 7),
        title="Routing {Experts} at 100% & beyond: $O(n)$ costs_of it}",
        doi="10.1000/xyz_1",
        categories=["cs.LG", "stat.ML"],
    )
    response = client.get("/papers/2605.00007.bib")
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    library = bibtexparser.parse_string(response.content.decode())
    assert not library.failed_blocks
    [entry] = library.entries
    assert entry.entry_type == "misc" and entry.key == "garcia2026routing"
    assert entry["eprint"] == "2605.00007" and entry["archivePrefix"] == "arXiv"
    assert entry["primaryClass"] == "cs.LG" and entry["doi"] == r"10.1000/xyz\_1"
    assert entry["author"].split(" and ") == [
        "García, María José",
        "van der Berg, Jan",
        "Zhang, Wei",
    ]
    assert entry["title"].startswith(r"{Routing {Experts} at 100\% \& beyond")
    response = client.get("/papers/2605.00007.ris")
    [record] = rispy.loads(response.content.decode())
    assert record["title"] == made.title and record["doi"] == "10.1000/xyz_1"
    assert record["authors"] == ["García, María José", "van der Berg, Jan", "Zhang, Wei"]
    assert record["urls"] == ["https://arxiv.org/abs/2605.00007"]
    assert record["year"] == "2026" and record["keywords"] == ["cs.LG", "stat.ML"]
    page = client.get("/papers/2605.00007").content.decode()
    assert "@misc{garcia2026routing," in page and 'href="/papers/2605.00007.ris"' in page
    assert client.get("/papers/2605.99999.bib").status_code == 404


@pytest.mark.django_db
def test_a_search_page_exports_its_results(client, lecun):
    from dailypapers.search import fulltext

    fulltext.rebuild()
    response = client.get("/search.bib", {"q": 'author:"yoshua bengio"'})
    library = bibtexparser.parse_string(response.content.decode())
    assert sorted(e["eprint"] for e in library.entries) == ["2605.00001", "2605.00003"]
    assert len({e.key for e in library.entries}) == 2  # keys made unique
    records = rispy.loads(client.get("/search.ris", {"q": "author:hinton"}).content.decode())
    assert [r["notes_abstract"] if "notes_abstract" in r else r["title"] for r in records] == [
        "On 2605.00004"
    ]
    assert client.get("/search.bib").status_code == 400


@pytest.mark.django_db
def test_the_command_and_the_worker_task(capsys):
    from django.core.management import call_command

    from dailypapers.authors.tasks import catch_up_author_index

    call_command("authors", "status")
    assert "not built yet" in capsys.readouterr().out
    paper("2605.00001", ["Yann LeCun"], dt.date(2026, 1, 5))
    assert catch_up_author_index.call_local() == 1  # the first run derives the index
    paper("2605.00002", ["Yann LeCun", "Léon Bottou"], dt.date(2026, 1, 6))
    call_command("authors", "status")
    assert "1 changes to apply" in capsys.readouterr().out
    call_command("authors", "sync", "--no-progress")
    assert "Indexed the authors of 1 papers" in capsys.readouterr().out
    call_command("authors", "status")
    assert "3 written names" not in capsys.readouterr().out  # two names: LeCun, Bottou
    call_command("authors", "rebuild", "--no-progress")
    assert "Indexed the authors of 2 papers" in capsys.readouterr().out


# --- claims ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "affiliation", "matches"),
    [
        ("ada@cs.ox.ac.uk", "University of Oxford", True),
        ("a@mit.edu", "Massachusetts Institute of Technology", True),
        ("a@tsinghua.edu.cn", "Tsinghua University", True),
        ("a@google.com", "Google DeepMind", False),  # not in swot: a curator adds it (issue 28)
        ("a@gmail.com", "Google", False),  # webmail says nothing
        ("a@stanford.edu", "Harvard University", False),
        ("a@qq.com", "Tencent", False),
        ("a@cs.cmu.edu", "School of Computer Science, Carnegie Mellon University", True),
        ("a@cs.ox.ac.uk", "Oxford Brookes University", False),  # a word is not enough (issue 28)
        ("a@oxford.attacker.example", "University of Oxford", False),  # a subdomain of one's own
        ("a@oxford-papers.com", "University of Oxford", False),
    ],
)
def test_email_domains_against_affiliations(email, affiliation, matches):
    """The rule of `authors/domains.py` (tests/authors/test_domains.py has the whole table)."""
    from dailypapers.authors.domains import verifies

    assert verifies(email, [affiliation]).verified is matches


def member(name: str, email: str, confirmed: bool = True) -> User:
    from django.utils import timezone

    from dailypapers.community.models import Profile

    user = User.objects.create_user(name, email, "x" * 12)
    Profile.objects.create(user=user, email_confirmed_at=timezone.now() if confirmed else None)
    return user


@pytest.mark.django_db
def test_claims_accepted_by_domain_or_by_a_curator(client):
    from dailypapers.authors.claims import ClaimError, claim, decide, withdraw
    from dailypapers.authors.models import Claim

    made = paper(
        "2605.00001",
        ["Ada Lovelace", "Alan Turing"],
        dt.date(2026, 5, 1),
        affiliations=[["University of Oxford"], ["University of Manchester"]],
    )
    index.catch_up()
    ada = member("ada", "ada@cs.ox.ac.uk")
    accepted = claim(ada, made, 0)
    assert accepted.status == Claim.ACCEPTED and "University of Oxford" in accepted.reason
    assert accepted.author.key == "ada-lovelace"
    with pytest.raises(ClaimError, match="already claimed"):
        claim(ada, made, 1)
    # Another account claiming the same name is refused; another name waits for a curator.
    eve = member("eve", "eve@ox.ac.uk")
    with pytest.raises(ClaimError, match="Someone else"):
        claim(eve, made, 0)
    alan = member("alan", "alan@gmail.com")
    pending = claim(alan, made, 1)
    assert pending.status == Claim.PENDING
    # Without a confirmed email, or past the limit of pending claims, nothing is made.
    with pytest.raises(ClaimError, match="Confirm your email"):
        claim(member("bob", "bob@ox.ac.uk", confirmed=False), made, 1)
    with pytest.raises(ClaimError, match="one of the paper's author names"):
        claim(eve, made, 7)
    curator = User.objects.create_superuser("cur", "c@example.org", "x" * 12)
    decide(pending, curator, accept=True)
    # The paper page and the author page show the accounts.
    page = client.get("/papers/2605.00001").content.decode()
    assert ">ada</a>&nbsp;is Ada Lovelace" in page and ">alan</a>&nbsp;is Alan Turing" in page
    assert 'href="/users/ada"' in client.get("/authors/ada-lovelace").content.decode()
    assert withdraw(ada, made)
    assert "&nbsp;is Ada Lovelace" not in client.get("/papers/2605.00001").content.decode()
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_claiming_through_the_page(client):
    from dailypapers.authors.models import Claim

    paper("2605.00001", ["Ada Lovelace", "Alan Turing"], dt.date(2026, 5, 1))
    html = client.get("/papers/2605.00001").content.decode()
    assert "to claim this paper" in html  # signed out: a sign-in link
    client.force_login(member("alan", "alan@example.org"))
    assert 'name="position"' in client.get("/papers/2605.00001").content.decode()
    response = client.post("/papers/2605.00001/claim", {"position": "1"})
    assert response.url == "/papers/2605.00001"
    claim = Claim.objects.get()
    assert (claim.position, claim.status) == (1, Claim.PENDING)
    assert "waits for a curator" in client.get("/papers/2605.00001").content.decode()
    for bad in ("", "x", "99", "-1", "\x00"):
        assert client.post("/papers/2605.00001/claim", {"position": bad}).status_code in (302, 400)
    assert Claim.objects.count() == 1
    client.post("/papers/2605.00001/claim", {"withdraw": "1"})
    assert not Claim.objects.exists()
    client.logout()
    assert client.post("/papers/2605.00001/claim", {"position": "0"}).status_code == 302
    assert not Claim.objects.exists()


# --- follows --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_following_authors_categories_and_searches(client, monkeypatch):
    from django.utils import timezone

    from dailypapers.notifications.models import Follow
    from dailypapers.search import fulltext

    today = timezone.now().date()
    paper("2605.00001", ["Yann LeCun"], today, title="Energy-based models", categories=["cs.LG"])
    paper(
        "2605.00002",
        ["Léon Bottou"],
        today,
        title="Stochastic gradient descent",
        categories=["stat.ML"],
    )
    paper("2605.00003", ["Yann LeCun"], today - dt.timedelta(days=90), title="Old convolution work")
    index.catch_up()
    fulltext.rebuild()
    assert client.get("/following").status_code == 302  # signed in only
    client.force_login(member("ada", "ada@example.org"))
    for kind, value in (
        ("author", "LeCun, Yann"),
        ("category", "stat.ML"),
        ("query", "gradient descent"),
    ):
        response = client.post("/follow", {"kind": kind, "value": value, "next": "/following"})
        assert response.url == "/following"
    assert sorted(Follow.objects.values_list("kind", "value")) == [
        ("author", "yann-lecun"),
        ("category", "stat.ML"),
        ("query", "gradient descent"),
    ]
    page = client.get("/following").content.decode()
    assert "Energy-based models" in page and "Stochastic gradient descent" in page
    # Newest first: the author's recent paper before the old one.
    assert page.index("Energy-based models") < page.index("Old convolution work")
    # Bad values change nothing; following twice keeps one row; an outside `next` is ignored.
    for kind, value in (
        ("author", "nobody"),
        ("category", "not a category"),
        ("query", "  "),
        ("x", "y"),
    ):
        client.post("/follow", {"kind": kind, "value": value})
    client.post("/follow", {"kind": "category", "value": "stat.ML", "next": "https://evil.example"})
    assert Follow.objects.count() == 3
    assert (
        client.post(
            "/follow", {"kind": "author", "value": "yann-lecun", "next": "https://evil.example"}
        ).url
        == "/following"
    )
    assert "Following ✓" in client.get("/authors/yann-lecun").content.decode()
    client.post("/follow", {"kind": "author", "value": "yann-lecun", "unfollow": "1"})
    assert Follow.objects.count() == 2


# --- conversation: reactions, mentions, notifications ----------------------------------------


@pytest.fixture
def thread():
    """A paper Ada submitted to the feed and Alan claimed; Bob and Eve are readers."""
    from dailypapers.authors.models import Claim

    people = {name: member(name, f"{name}@example.org") for name in ("ada", "alan", "bob", "eve")}
    made = paper("2605.00001", ["Alan Turing"], dt.date(2026, 5, 1))
    DailyEntry.objects.create(
        paper=made,
        day=dt.date(2026, 5, 2),
        submitted_at=dt.datetime(2026, 5, 2, tzinfo=UTC),
        submitted_by=people["ada"],
    )
    Claim.objects.create(user=people["alan"], paper=made, position=0, status=Claim.ACCEPTED)
    return made, people


def kinds(user: User) -> list[tuple[str, str | None]]:
    from dailypapers.notifications.models import Notification

    return [
        (n.kind, n.actor.username if n.actor else None)
        for n in Notification.objects.filter(user=user).select_related("actor").order_by("id")
    ]


@pytest.mark.django_db
def test_each_comment_tells_each_person_once_and_never_its_author(thread):
    from dailypapers.community.services import add_comment

    made, p = thread
    first = add_comment(
        p["bob"], made, "Lovely result. @eve, have you seen this? Also @bob and @nobody."
    )
    assert kinds(p["eve"]) == [("mention", "bob")]
    assert kinds(p["ada"]) == [("submitted", "bob")]
    assert kinds(p["alan"]) == [("claimed", "bob")]
    assert kinds(p["bob"]) == []  # not of one's own comment, even when mentioning oneself
    # A reply tells the parent's author once, as a reply, though it also mentions them.
    add_comment(p["eve"], made, "@bob yes, thanks.", parent=first)
    assert kinds(p["bob"]) == [("reply", "eve")]
    assert kinds(p["eve"]) == [("mention", "bob")]
    # The submitter commenting tells the claimant, not herself.
    add_comment(p["ada"], made, "Submitted because of section 3.")
    assert kinds(p["ada"]) == [("submitted", "bob"), ("submitted", "eve")]
    assert kinds(p["alan"]) == [("claimed", "bob"), ("claimed", "eve"), ("claimed", "ada")]


@pytest.mark.django_db
def test_the_bell_counts_and_the_page_marks_read(client, thread):
    from dailypapers.community.services import add_comment

    made, p = thread
    add_comment(p["bob"], made, "A question for @eve.")
    client.force_login(p["eve"])
    home = client.get("/").content.decode()
    assert 'aria-label="Notifications: 1 unread"' in home and '<span class="badge">1</span>' in home
    page = client.get("/notifications").content.decode()
    assert "bob mentioned you on “On 2605.00001”" in page
    assert 'aria-label="Notifications"' in client.get("/notifications/badge").content.decode()
    client.logout()
    assert client.get("/notifications/badge").content.strip() == b""
    assert client.get("/notifications").status_code == 302


@pytest.mark.django_db
def test_new_papers_of_followed_authors_tell_their_followers(thread):
    from django.utils import timezone

    from dailypapers.notifications.models import Follow, Notification

    _, p = thread
    index.catch_up()
    for name in ("bob", "eve"):
        Follow.objects.create(user=p[name], kind=Follow.AUTHOR, value="alan-turing")
    now = timezone.now().date()
    fresh = paper("2605.00002", ["Alan Turing", "Ada Lovelace"], now)
    paper("2605.00003", ["Alan Turing"], now - dt.timedelta(days=400))  # old, imported late
    index.catch_up()
    assert kinds(p["bob"]) == kinds(p["eve"]) == [("new_paper", None)]
    assert Notification.objects.get(user=p["bob"]).paper == fresh
    # Applying the same change again, or a rebuild, tells no one twice.
    fresh.title = "Renamed"
    fresh.save()
    index.catch_up()
    index.rebuild()
    assert Notification.objects.filter(kind="new_paper").count() == 2


@pytest.mark.django_db
def test_reactions_toggle_and_count(client, thread):
    from dailypapers.community.models import Reaction
    from dailypapers.community.services import (
        ActionError,
        add_comment,
        reactions_of,
        toggle_reaction,
    )

    made, p = thread
    note = add_comment(p["bob"], made, "Nice.")
    assert toggle_reaction(p["eve"], note, "+1") is True
    assert toggle_reaction(p["ada"], note, "+1") is True
    assert toggle_reaction(p["ada"], note, "tada") is True
    assert toggle_reaction(p["ada"], note, "+1") is False  # a second click takes it back
    counts = reactions_of([note.pk], p["eve"])[note.pk]
    assert [(r.key, r.count, r.mine) for r in counts] == [("+1", 1, True), ("tada", 1, False)]
    with pytest.raises(ActionError):
        toggle_reaction(p["eve"], note, "skull")
    client.force_login(p["eve"])
    response = client.post(
        f"/comments/{note.pk}/react", {"emoji": "rocket"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "🚀 <span>1</span>" in response.content.decode()
    page = client.get("/papers/2605.00001").content.decode()
    assert 'aria-pressed="true" title="rocket"' in page
    assert client.post(f"/comments/{note.pk}/react", {"emoji": "\\u0000"}).status_code in (302, 400)
    assert Reaction.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_racing_reactions_leave_exact_counts(thread):
    """Eight threads click the same reaction of one user and different users at once."""
    import threading

    from django.db import connection

    from dailypapers.community.models import Reaction
    from dailypapers.community.services import add_comment, toggle_reaction

    made, p = thread
    note = add_comment(p["bob"], made, "Race me.")
    users = [member(f"racer{i}", f"racer{i}@example.org") for i in range(8)]
    barrier = threading.Barrier(8)
    errors = []

    def click(user: User) -> None:
        try:
            barrier.wait()
            toggle_reaction(user, note, "heart")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(user,)) for user in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Reaction.objects.filter(comment=note, emoji="heart").count() == 8


@pytest.mark.django_db
def test_notifications_by_email_are_batched_opted_out_and_unsubscribed(client, thread, smtp_server):
    from django.utils import timezone

    from dailypapers.community.services import add_comment
    from dailypapers.notifications import mail
    from dailypapers.notifications.models import Notification

    made, p = thread
    first = add_comment(p["bob"], made, "@eve look, and @ada too.")
    add_comment(p["alan"], made, "@eve see section 2.", parent=first)
    later = timezone.now() + dt.timedelta(minutes=mail.QUIET_MINUTES + 1)
    assert mail.send_due(now=timezone.now()) == 0  # too fresh: more may come
    # Ada reads hers on the site first: no email for it.
    client.force_login(p["ada"])
    client.get("/notifications")
    assert mail.send_due(now=later) == 3  # eve (two in one email), bob (reply), alan (claimed)
    [message] = smtp_server.to("eve@example.org")
    assert message["Subject"] == "2 notifications on Daily Papers"
    body = message.get_body(("plain",)).get_content()
    assert "bob mentioned you on “On 2605.00001”" in body and "alan mentioned you" in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not smtp_server.to("ada@example.org")
    assert mail.send_due(now=later) == 0  # never twice
    # Eve turns replies and mentions off by email; the one-click link stops everything.
    client.force_login(p["eve"])
    client.post("/notifications/settings", {"email": ["submitted", "claimed", "new_paper"]})
    add_comment(p["bob"], made, "@eve again")
    mail.send_due(now=later + dt.timedelta(minutes=10))  # ada and alan hear of it
    assert len(smtp_server.to("eve@example.org")) == 1  # eve does not
    assert Notification.objects.filter(user=p["eve"], emailed_at__isnull=True).count() == 0
    url = message["List-Unsubscribe"].strip().strip("<>").replace("http://127.0.0.1:8000", "")
    client.logout()
    assert "Stop notification emails?" in client.get(url).content.decode()
    from django.test import Client

    one_click = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert set(mail.settings_for(p["eve"]).email_off) == {k for k, _ in Notification.KINDS}
    assert client.get("/notifications/unsubscribe/not-a-token").status_code == 404


# --- organizations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("affiliation", "institution"),
    [
        (
            "School of Computer Science, Carnegie Mellon University, Pittsburgh, PA",
            "Carnegie Mellon University",
        ),
        ("Department of Physics, University of Oxford, UK", "University of Oxford"),
        ("Google DeepMind", "Google DeepMind"),
        ("ETH Zurich", "ETH Zurich"),
        ("Dept. of CS, 123 Road, Boston", ""),
    ],
)
def test_the_institution_of_an_affiliation(affiliation, institution):
    from dailypapers.authors.orgs import institution as of

    assert of(affiliation) == institution


@pytest.mark.django_db
def test_organization_pages_and_verified_members(client):
    from dailypapers.authors.models import Membership

    paper(
        "2605.00001",
        ["Ada Lovelace", "Alan Turing"],
        dt.date(2026, 5, 1),
        organization="University of Oxford",
        affiliations=[["Department of Physics, University of Oxford, UK"], ["Google DeepMind"]],
    )
    paper(
        "2605.00002",
        ["Ada Lovelace"],
        dt.date(2026, 5, 2),
        affiliations=[["The University of Oxford"]],
    )
    index.catch_up()
    page = client.get("/orgs/university-of-oxford")
    assert page.status_code == 200
    html = page.content.decode()
    assert "2 papers naming it" in html and 'href="/authors/ada-lovelace"' in html
    assert client.get("/orgs/google-deepmind").status_code == 200
    assert client.get("/orgs/University of Oxford").url == "/orgs/university-of-oxford"
    assert client.get("/orgs/nowhere").status_code == 404
    assert 'href="/orgs/university-of-oxford"' in client.get("/papers/2605.00001").content.decode()
    # Membership is verified by the confirmed email's domain; webmail waits for a curator and
    # is not shown as a member (issue 28).
    client.force_login(member("eve", "eve@gmail.com"))
    assert client.post("/orgs/university-of-oxford/join").status_code == 302
    assert Membership.objects.get().status == Membership.PENDING
    assert (
        'class="chip" href="/users/eve"'
        not in client.get("/orgs/university-of-oxford").content.decode()
    )
    Membership.objects.all().delete()
    client.force_login(member("ada", "ada@cs.ox.ac.uk"))
    assert "I am a member" in client.get("/orgs/university-of-oxford").content.decode()
    client.post("/orgs/university-of-oxford/join")
    assert Membership.objects.get().email == "ada@cs.ox.ac.uk"
    assert "Member ✓" in client.get("/orgs/university-of-oxford").content.decode()
    client.post("/orgs/university-of-oxford/join", {"leave": "1"})
    assert not Membership.objects.exists()


# --- search understands a bare author name (issue 20's first point) -------------------------


@pytest.mark.django_db
def test_a_bare_author_name_finds_their_papers_first(client):
    from dailypapers.search import fulltext
    from dailypapers.search.services import search

    theirs = [
        paper(
            "2605.00001",
            ["Yann LeCun", "Léon Bottou"],
            dt.date(2026, 1, 5),
            title="Energy-based learning",
        ),
        paper("2605.00002", ["Y. LeCun"], dt.date(2026, 2, 5), title="Convolutional networks"),
    ]
    paper("2605.00003", ["Ada Lovelace"], dt.date(2026, 3, 5), title="On Yann and other names")
    index.catch_up()
    fulltext.rebuild()
    for text in ("Yann LeCun", "yann lecun", "LeCun, Yann", '"Yann LeCun"'):
        results = search(text)
        assert results.author is not None and results.author.key == "yann-lecun", text
        assert [p.arxiv_id for p in results.papers][:1] == [theirs[0].arxiv_id], text
    # A merge brings the other written form along; single words and filters are left alone.
    curator = User.objects.create_superuser("cur", "c@example.org", "x" * 12)
    client.force_login(curator)
    client.post("/authors/y-lecun/merge", {"into": "yann-lecun"})
    assert [p.arxiv_id for p in search("Yann LeCun").papers][:2] == ["2605.00002", "2605.00001"]
    assert search("LeCun").author is None
    assert search("Yann LeCun category:cs.CV").author is None
    assert search("energy based learning").author is None
    page = client.get("/search", {"q": "yann lecun"}).content.decode()
    assert "is an author here" in page and 'href="/authors/yann-lecun"' in page
