"""For you ranks like a colleague, not a name index (issue 29, items 3 and 4): the reader's own
new papers apart, a bounded author signal, feedback that changes the next ranking and can be
undone, and reasons that name what drove each pick. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from dailypapers.authors.models import Claim
from dailypapers.library import collections, foryou, recommend
from dailypapers.library.models import Feedback, Pick
from dailypapers.notifications.models import Follow
from dailypapers.search import semantic
from tests.library.test_personal import DAY, TOPICS, add_paper, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    return user("ada")


def ranks(reader) -> dict[str, int]:
    """Title -> rank of the reader's picks (own papers excluded), computed afresh."""
    foryou.refresh(reader)
    start, end = foryou.window() or (DAY, DAY)
    return {p.paper.title: p.rank for p in foryou.picks_for(reader, start, end, 500)}


@pytest.fixture
def shelf(db):
    """Library papers of months ago, and this week's candidates (TOPICS plus neighbours)."""
    old = dt.date(2026, 1, 5)
    made = {
        "folding": add_paper(1, "Protein folding with deep networks", day=old, feed=False),
        "big": add_paper(
            2,
            "A large collaboration measures the Higgs boson mass",
            "Collider physics with the full detector data set.",
            day=old,
            feed=False,
            authors=[f"Physicist {i}" for i in range(100)],
        ),
        "mine": add_paper(
            3, "Sparse attention for long documents", day=old, feed=False, authors=["Ada Lovelace"]
        ),
    }
    for i, (title, abstract) in enumerate(TOPICS):
        made[f"t{i}"] = add_paper(100 + i, title, abstract, day=DAY - dt.timedelta(days=i % 3))
    made["stocks2"] = add_paper(
        120, "Forecasting stock market returns with neural networks", "Equity price prediction."
    )
    made["folding2"] = add_paper(
        121, "Protein structure prediction with transformer networks", "Amino acids to 3D folds."
    )
    made["own"] = add_paper(
        122, "Linear attention for very long texts", authors=["Ada Lovelace", "Bob Coauthor"]
    )
    made["shared"] = add_paper(  # one author of the saved folding paper, on another subject
        123, "A tax policy survey", "Public finance and taxes.", authors=["Author 1"]
    )
    for i in range(6):  # six physics-free papers, each signed by one of the 100 physicists
        made[f"p{i}"] = add_paper(
            130 + i, f"Medieval poetry, part {i}", "Verse forms.", authors=[f"Physicist {i}"]
        )
    semantic.sync()
    return made


def test_own_new_papers_are_apart_never_picks(client, reader, shelf, today):
    today(DAY)
    Claim.objects.create(user=reader, paper=shelf["mine"], position=0, status=Claim.ACCEPTED)
    collections.add(collections.create(reader, "Reading"), shelf["folding"])
    picked = ranks(reader)
    assert shelf["own"].title not in picked  # never a pick ...
    assert [p.paper for p in foryou.own_papers_for(reader, DAY - dt.timedelta(days=6), DAY)] == [
        shelf["own"]
    ]
    # ... and no pick says "because you read <your own name>".
    assert not Pick.objects.filter(user=reader, because_author="Ada Lovelace").exists()
    client.force_login(reader)
    page = client.get("/for-you?range=week").content.decode()
    assert "Your new papers" in page
    head, _, picks = page.partition('<ol class="rows foryou-rows">')
    assert shelf["own"].title in head and shelf["own"].title not in picks


def test_a_shared_author_does_not_outrank_a_near_duplicate(reader, shelf, today):
    today(DAY)
    collections.add(collections.create(reader, "Reading"), shelf["folding"])
    picked = ranks(reader)
    # "Author 1" wrote the saved paper: their tax survey is lifted, but below the content twins.
    assert picked[TOPICS[0][0]] < picked["A tax policy survey"]
    assert (
        picked["Protein structure prediction with transformer networks"]
        < picked["A tax policy survey"]
    )
    tax = Pick.objects.get(user=reader, paper=shelf["shared"])
    assert tax.reason == Pick.AUTHOR and tax.because_author == "Author 1"
    # A followed author stays a strong, explained signal.
    Follow.objects.create(user=reader, kind=Follow.AUTHOR, value="author-1")
    picked_after = ranks(reader)
    assert picked_after["A tax policy survey"] < picked["A tax policy survey"]
    assert Pick.objects.get(user=reader, paper=shelf["shared"]).reason == Pick.FOLLOWED


def test_a_hundred_author_paper_does_not_flood_the_view(reader, shelf, today):
    today(DAY)
    collections.add(collections.create(reader, "Physics"), shelf["big"])
    collections.add(collections.create(reader, "Bio"), shelf["folding"])
    foryou.refresh(reader)
    poems = [shelf[f"p{i}"].pk for i in range(6)]
    # Each physicist is worth 1/100 of the saved paper: no pick is explained by one of them,
    # and the poems do not come before the protein papers.
    assert not Pick.objects.filter(user=reader, reason=Pick.AUTHOR, paper_id__in=poems).exists()
    first = Pick.objects.get(user=reader, rank=1).paper
    assert first.pk not in poems


def test_feedback_changes_the_ranking_and_can_be_undone(client, reader, shelf, today):
    today(DAY)
    collections.add(collections.create(reader, "Bio"), shelf["folding"])
    before = ranks(reader)
    client.force_login(reader)
    # "More like this" on a stock paper (a plain form, no JavaScript): its neighbour rises.
    answer = client.post(
        "/for-you/feedback", {"paper": shelf["t2"].key, "action": "more", "next": "/for-you"}
    )
    assert answer.status_code == 302 and answer["Location"] == "/for-you"
    liked = ranks(reader)
    stocks2 = "Forecasting stock market returns with neural networks"
    assert liked[stocks2] < before[stocks2]
    assert TOPICS[2][0] not in liked  # now a library paper, not a pick
    pick = Pick.objects.get(user=reader, paper=shelf["stocks2"])
    assert pick.reason == Pick.LIKED and pick.because == shelf["t2"]
    page = client.get("/for-you?range=week").content.decode()
    assert "which you asked for" in page and "More like" in page
    # "Not interested" (htmx): the paper goes, and its near-duplicate goes down.
    answer = client.post(
        "/for-you/feedback",
        {"paper": shelf["t0"].key, "action": "less"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200 and "Undo" in answer.content.decode()
    disliked = ranks(reader)
    twin = "Protein structure prediction with transformer networks"
    assert TOPICS[0][0] not in disliked
    assert disliked[twin] > liked[twin]
    # The settings page lists both, and undoes one.
    settings_page = client.get("/for-you/settings").content.decode()
    assert TOPICS[2][0] in settings_page and TOPICS[0][0] in settings_page
    client.post("/for-you/settings", {"paper": shelf["t0"].key})
    assert not Feedback.objects.filter(user=reader, paper=shelf["t0"]).exists()
    client.post("/for-you/feedback", {"paper": shelf["t2"].key, "action": "undo"})
    assert ranks(reader) == before
    assert "You have not asked for more" in client.get("/for-you/settings").content.decode()


def test_feedback_needs_a_signed_in_post(client, reader, shelf):
    assert client.get("/for-you/feedback").status_code == 405
    answer = client.post("/for-you/feedback", {"paper": shelf["t0"].key, "action": "more"})
    assert answer.status_code == 302 and "login" in answer["Location"]
    assert not Feedback.objects.exists()
    client.force_login(reader)
    bad = client.post("/for-you/feedback", {"paper": shelf["t0"].key, "action": "delete"})
    assert bad.status_code == 400


def test_the_pure_ranker_bounds_authors_caps_one_name_and_pushes_down_dislikes():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(12, 32))
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    twin = base[0] + 0.05 * base[1]
    twin /= np.linalg.norm(twin)
    candidates = np.vstack([twin, base[2:12]])
    keys = [["someone"]] + [["prolific"]] * 10
    library = recommend.Library(
        vectors=base[:1], weights=np.ones(1), authors={"prolific": 1.0, "other": 1.0}
    )
    ranked = recommend.rank(library, candidates, keys, [[] for _ in keys])
    assert int(np.argmax(ranked.scores)) == 0  # content first
    assert sum(bool(x) for x in ranked.lifted) == recommend.DEFAULT.per_author
    assert ranked.author_lift is not None and ranked.author_lift.max() <= 1.0 + 1e-9
    # A call without the newer inputs still works, and TF-IDF rows add the two signals.
    texts = np.abs(rng.normal(size=(12, 50)))
    texts /= np.linalg.norm(texts, axis=1, keepdims=True)
    library.tfidf = texts[:1]
    with_tfidf = recommend.rank(library, candidates, keys, [[] for _ in keys], tfidf=texts[1:])
    assert with_tfidf.scores.shape == (11,)
    # "Not interested" in the twin's neighbour pushes it down.
    library.tfidf = None
    library.negatives = twin[None, :]
    disliked = recommend.rank(library, candidates, keys, [[] for _ in keys])
    assert disliked.scores[0] < ranked.scores[0] - 3
