"""Recency filters (`since:`, `days:`) and sorting of search results."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.papers.models import Paper
from dailypapers.search import fulltext
from dailypapers.search.grammar import parse
from dailypapers.search.services import search

TODAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("text", "since", "words"),
    [
        ("diffusion since:7d", dt.date(2026, 11, 27), ["diffusion"]),
        ("since:2w diffusion", dt.date(2026, 11, 20), ["diffusion"]),
        ("since:3m", dt.date(2026, 9, 5), []),
        ("since:1y", dt.date(2025, 12, 4), []),
        ("days:30 x", dt.date(2026, 11, 4), ["x"]),
        ("since:2026-05-01 x", dt.date(2026, 5, 1), ["x"]),
        ("since:abc x", None, ["since:abc", "x"]),  # not a recency: words, as typed
        ("since:9999-12-31 x", None, ["since:9999-12-31", "x"]),
        ("since:99999y x", None, ["since:99999y", "x"]),
        ("days:-3 x", None, ["days:-3", "x"]),
    ],
)
def test_recency_in_the_grammar(text, since, words):
    query = parse(text, TODAY)
    assert query.since == since and query.words == words


def made(arxiv_id: str, title: str, days_ago: int, votes: int = 0) -> Paper:
    when = timezone.now() - dt.timedelta(days=days_ago)
    return Paper.objects.create(
        arxiv_id=arxiv_id,
        title=title,
        abstract="About diffusion models.",
        published_at=when,
        upvotes_imported=votes,
    )


@pytest.mark.django_db
def test_since_filters_and_sorts_reorder_the_best_matches(client):
    made("2612.00001", "Diffusion models, recent", 2, votes=1)
    made("2612.00002", "Diffusion models for images, older", 40, votes=50)
    made("2612.00003", "Diffusion diffusion diffusion, ancient", 800, votes=5)
    fulltext.rebuild()
    keys = lambda results: [p.arxiv_id for p in results.papers]  # noqa: E731
    assert keys(search("diffusion since:7d")) == ["2612.00001"]
    assert set(keys(search("diffusion days:60"))) == {"2612.00001", "2612.00002"}
    assert len(keys(search("diffusion"))) == 3
    assert keys(search("diffusion", sort="newest")) == ["2612.00001", "2612.00002", "2612.00003"]
    assert keys(search("diffusion", sort="votes")) == ["2612.00002", "2612.00003", "2612.00001"]
    assert keys(search("since:1y")) == ["2612.00001", "2612.00002"] or set(
        keys(search("since:1y"))
    ) == {
        "2612.00001",
        "2612.00002",
    }
    page = client.get("/search", {"q": "diffusion", "sort": "newest"}).content.decode()
    assert page.index("Diffusion models, recent") < page.index("ancient")
    assert '<option value="newest" selected>' in page
    assert client.get("/search", {"q": "diffusion", "sort": "\x00bogus"}).status_code in (200, 400)


def paper(arxiv_id: str, title: str, abstract: str) -> Paper:
    return Paper.objects.create(arxiv_id=arxiv_id, title=title, abstract=abstract)


@pytest.mark.django_db
def test_misspelt_words_still_find_and_the_page_says_did_you_mean(client, settings):
    settings.SEARCH_WEIGHTS = {"fulltext": 1.0, "semantic": 0.0}  # the full-text leg alone
    paper("2612.00011", "Transformers for protein folding", "Attention predicts structure.")
    paper("2612.00012", "Reinforcement learning for robots", "Policies that grasp objects.")
    paper("2612.00013", "Transformer language models", "Scaling laws of transformers.")
    paper("2612.00014", "Multimodal agents", "Vision and language together.")
    fulltext.rebuild()
    ids = lambda results: {p.arxiv_id for p in results.papers}  # noqa: E731
    # Two misspelt words (a dropped letter, a swap): the fuzzy terms find the papers.
    found = search("transfomer protien")
    assert ids(found) >= {"2612.00011", "2612.00013"}
    assert found.papers[0].arxiv_id == "2612.00011"  # both words (near-)match it
    assert found.suggestion == "transformer protein"
    assert search("reinforcemnt").suggestion == "reinforcement"
    # The stem is one edit away, the word two ("multimod" ~ "multimodl"): the papers' spelling.
    assert search("multimodle").suggestion == "multimodal"
    assert ids(search("multimodle")) == {"2612.00014"}
    # A misspelling with the right stem ("reinforcment" -> "reinforc") is found as it is.
    assert ids(search("reinforcment")) == {"2612.00012"}
    # Known words are never "corrected"; short words and ids are left alone.
    assert search("transformers protein").suggestion is None
    assert search("robts").suggestion is None or search("robts").suggestion == "robots"
    assert search("abc author:smith").suggestion is None
    page = client.get("/search", {"q": "transfomer protien"}).content.decode()
    assert "Did you mean" in page and "?q=transformer%20protein" in page
    # Gibberish has no suggestion and no results: the page says so.
    nothing = search("qwxzjkvbbt")
    assert nothing.suggestion is None and nothing.papers == []
