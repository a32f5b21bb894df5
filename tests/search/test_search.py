"""Search: the query language, the full-text index kept current and rebuilt, the search page."""

import datetime as dt
import io
import shutil

import pytest
import tantivy
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper
from dailypapers.search import fulltext
from dailypapers.search.grammar import MAX_CHARS, parse
from dailypapers.search.services import search


def add(pk_hint, title, abstract="", authors=("Ada Lovelace",), categories=("cs.LG",), year=2025):
    paper = Paper.objects.create(
        arxiv_id=f"2605.{pk_hint:05d}",
        title=title,
        abstract=abstract,
        authors=list(authors),
        categories=list(categories),
        published_at=dt.datetime(year, 3, 1, tzinfo=dt.UTC),
    )
    DailyEntry.objects.create(paper=paper, day=dt.date(year, 3, 2), submitted_at=paper.published_at)
    return paper


def found(text: str, **options) -> list[str]:
    return [p.arxiv_id for p in search(text, **options).papers]


@pytest.fixture
def corpus(db):
    add(1, "Diffusion models learn low-dimensional distributions", "We study subspace clustering.")
    add(
        2,
        "Graph neural networks",
        "A diffusion process on graphs is learned.",
        authors=["Geoffrey Hinton"],
    )
    add(3, "Flow matching for generative modeling", "Flow matching trains continuous flows.",
        categories=["stat.ML"], year=2023)  # fmt: skip
    add(4, "A survey of diffusion", "Surveys diffusion models and flow matching.", year=2021)
    fulltext.rebuild()


def test_the_grammar():
    q = parse(
        'diffusion "flow matching" -survey author:"Geoffrey Hinton" cat:cs.LG '
        "year:2020..2023 foo:bar"
    )
    assert q.words == ["diffusion", "foo:bar"]
    assert q.phrases == ["flow matching"]
    assert q.excluded == ["survey"]
    assert q.authors == ["Geoffrey Hinton"]
    assert q.categories == ["cs.LG"]
    assert (q.year_from, q.year_to) == (2020, 2023)
    assert (parse("year:>=2021").year_from, parse("year:<2019").year_to) == (2021, 2018)
    assert parse('"unclosed phrase here').phrases == ["unclosed phrase here"]
    assert parse("\x00\x1b[31m  ").words == ["[31m"]
    assert parse("").empty and parse("   -only").empty


def _ram_index() -> tantivy.Searcher:
    """A few papers in memory, "model" in most of them (a common word)."""
    index = tantivy.Index(fulltext.SCHEMA)
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    for pk, title in enumerate(["A model", "Model zoo", "Diffusion models", "Flow matching"]):
        writer.add_document(fulltext._document(Paper(pk=pk + 1, title=title, abstract="")))
    writer.commit()
    index.reload()
    return index.searcher()


RAM_SEARCHER = _ram_index()


@given(st.text(max_size=10_000))
@settings(max_examples=300, deadline=None)
def test_no_input_makes_the_parser_or_compiler_raise(text):
    query = parse(text)
    assert len(query.words) + len(query.phrases) + len(query.excluded) <= 32
    compiled = fulltext.compile_query(query, RAM_SEARCHER)
    if compiled is not None:
        RAM_SEARCHER.search(compiled, limit=10)


@given(
    st.text(
        alphabet=st.characters(codec="utf-8"),
        max_size=MAX_CHARS * 3,
    )
    | st.sampled_from(['"', '-"', "year:..", "author:", 'cat:"', "((((", "*:*", "title:x^99", "\\"])
)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_no_query_makes_the_search_page_fail(client, text):
    response = client.get("/search", {"q": text})
    # A NUL byte or a lone surrogate is refused at the edge (it cannot be stored anywhere).
    unstorable = any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in text)
    assert response.status_code == (400 if unstorable else 200)


@pytest.mark.django_db
def test_words_are_stemmed_and_titles_count_most(corpus):
    ranked = found("diffusion")
    assert set(ranked[:2]) == {"2605.00001", "2605.00004"}  # in the title first
    assert ranked[2] == "2605.00002"  # then in the abstract only
    assert found("learning")[0] == "2605.00001"  # "learn" and "learned" are stems of it
    assert found("nothing-like-this") == []


@pytest.mark.django_db
def test_common_words_count_in_titles_only_beside_rarer_ones(db):
    # "model" is in 4 of the 10 papers (more than fulltext.COMMON of them), the others less
    add(1, "Model cards", "Reporting on a model.")
    add(2, "Graph networks", "A model of graphs.")
    add(3, "Sparse attention", "A model that attends sparsely.")
    add(4, "Attention models for graphs", "We attend.")
    for i in range(5, 11):
        add(i, f"Survey number {i}", "Nothing here.")
    fulltext.rebuild()
    # Alone, a common word is matched everywhere; next to a rarer word, in titles only.
    assert set(found("model")) == {"2605.00001", "2605.00002", "2605.00003", "2605.00004"}
    assert found("attention model") == ["2605.00004", "2605.00003", "2605.00001"]
    assert set(found("graph model")) == {"2605.00001", "2605.00002", "2605.00004"}
    # A word no paper has does not count as rarer.
    assert set(found("modle model")) == set(found("model"))


@pytest.mark.django_db
def test_phrases_exclusions_and_filters(corpus):
    assert set(found('"flow matching"')) == {"2605.00003", "2605.00004"}
    assert found('"matching flow"') == []
    assert found("diffusion -survey") == ["2605.00001", "2605.00002"]
    assert found("author:hinton") == ["2605.00002"]
    assert found('author:"geoffrey hinton" graphs') == ["2605.00002"]
    assert found("cat:stat.ML") == ["2605.00003"]
    assert set(found("year:2021..2023")) == {"2605.00003", "2605.00004"}
    assert found("diffusion year:<2022") == ["2605.00004"]


@pytest.mark.django_db
def test_results_page_and_count(corpus):
    first = search("diffusion OR flow", limit=2)
    assert first.total == 4 and len(first.papers) == 2
    second = search("diffusion OR flow", limit=2, offset=2)
    assert {p.arxiv_id for p in first.papers}.isdisjoint(p.arxiv_id for p in second.papers)


@pytest.mark.django_db
def test_the_index_follows_new_and_changed_papers(corpus):
    add(5, "Retrieval augmented theorem proving")
    assert found("theorem") == []  # not indexed yet
    assert fulltext.catch_up() == 1
    assert found("theorem") == ["2605.00005"]
    Paper.objects.filter(arxiv_id="2605.00005").update(title="Premise selection for Lean")
    paper = Paper.objects.get(arxiv_id="2605.00005")
    paper.save()  # moves updated_at, as every write of the importers does
    fulltext.catch_up()
    assert found("theorem") == [] and found("premise") == ["2605.00005"]


@pytest.mark.django_db
def test_a_missing_or_corrupt_index_is_rebuilt(corpus):
    shutil.rmtree(fulltext.index_dir())
    fulltext.FullTextIndex.forget()
    assert found("graph") == ["2605.00002"]
    fulltext.FullTextIndex.forget()
    # Damage it as a crash or a bad disk would: segment files gone, tantivy's meta unreadable.
    # (Files are unlinked or replaced, never truncated in place: this process may still map them.)
    for item in fulltext.index_dir().iterdir():
        if item.is_file() and item.suffix not in (".json", ".lock"):
            item.unlink()
    damaged = fulltext.index_dir() / "meta.json.tmp"
    damaged.write_text("{not json")
    damaged.replace(fulltext.index_dir() / "meta.json")
    assert found("graph") == ["2605.00002"]


@pytest.mark.django_db
def test_the_search_page(client, corpus):
    html = client.get("/search", {"q": "diffusion -survey"}).content.decode()
    assert "2 papers" in html and "full text search" in html
    assert html.index("Diffusion models learn") < html.index("Graph neural networks")
    assert "A survey of diffusion" not in html
    assert client.get("/search", {"q": "x", "page": "abc"}).status_code == 200
    assert "Search" in client.get("/search").content.decode()
    assert 'action="/search"' in client.get("/").content.decode()  # the box on every page


@pytest.mark.django_db
def test_the_index_command(corpus):
    out = io.StringIO()
    call_command("index", "rebuild", "--no-progress", stdout=out)
    assert "Indexed 4 papers" in out.getvalue()
    call_command("index", "sync", stdout=out)
    call_command("index", "status", stdout=out)
    assert "4 papers indexed of 4" in out.getvalue()


@pytest.mark.django_db
def test_the_search_page_filters(client, corpus):
    """The category and year fields narrow the query, and pages and the feed link keep them."""
    html = client.get("/search", {"q": "flow", "category": "stat.ML"}).content.decode()
    assert "Flow matching for generative modeling" in html
    assert "A survey of diffusion" not in html
    html = client.get("/search", {"q": "diffusion", "from": "2020", "to": "2022"}).content.decode()
    assert "A survey of diffusion" in html and "Diffusion models learn" not in html
    assert "q=diffusion%20year%3A2020..2022" in html  # the RSS link
    # Filters alone search too; bad values are ignored, never an error.
    html = client.get("/search", {"category": "stat.ML"}).content.decode()
    assert "1 paper " in html and "Flow matching" in html
    for bad in ({"category": "<script>", "from": "20x0"}, {"to": "99999"}, {"from": "0000"}):
        response = client.get("/search", {"q": "diffusion", **bad})
        assert response.status_code == 200
        assert "Diffusion models learn" in response.content.decode()


@pytest.mark.django_db
def test_the_search_page_paginates(client):
    for n in range(45):
        add(100 + n, f"Sparse attention study number {n}", "Sparse attention.")
    add(200, "Sparse attention in another field", categories=["math.OC"])
    fulltext.rebuild()
    html = client.get("/search", {"q": "sparse attention", "category": "cs.LG"}).content.decode()
    assert "45 papers" in html and "Page 1 of 3" in html
    assert 'href="?q=sparse+attention&amp;category=cs.LG&amp;page=2"' in html
    page3 = client.get("/search", {"q": "sparse attention", "category": "cs.LG", "page": 3})
    html = page3.content.decode()
    assert html.count('class="card"') == 5 and 'start="41"' in html
    assert "another field" not in html
