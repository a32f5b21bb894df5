"""Paper content: PDFs fetched politely, rendered in a capped child process, stored, served.

The good PDFs are LaTeX-built (tests/fixtures/pdf/make.py); the bad ones are made here with
reportlab and pypdfium2, or cut from the good ones. Fetching goes through a real HTTP server.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
import re
import tempfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from dailypapers.content import describe, markdown, pdf
from dailypapers.content import services as service
from dailypapers.content.models import PaperContent
from dailypapers.content.render import Renderer
from dailypapers.feed.models import DailyEntry
from dailypapers.papers.models import Paper, PaperChange
from tests.replay_server import RESET, UNSIZED, Reply

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pdf"
PAPER_PDF = FIXTURES / "paper.pdf"
LONG_PDF = FIXTURES / "long.pdf"
TITLE = (
    "Balancing Experts Without Losing Them: Routing Entropy and Representation Quality in "
    "Sparse Mixture-of-Experts Transformers"
)
ABSTRACT = (
    "Sparse mixture-of-experts transformers route every token to a small subset of experts. "
    "The routing decision is made by a learned gating network whose output tends to collapse. "
    "We propose a moderate balancing coefficient combined with expert-choice routing that gives "
    "interpretable specialisation. Experiments cover language modelling, translation and vision."
)


@pytest.fixture(scope="module")
def renderer():
    with Renderer(memory_mb=1024, timeout=60) as shared:
        yield shared


def feed_paper(arxiv_id: str = "2605.00001", **fields: object) -> Paper:
    values = {"title": TITLE, "abstract": ABSTRACT, "authors": ["María José García", "Wei Zhang"]}
    paper = Paper.objects.create(arxiv_id=arxiv_id, **(values | fields))
    now = dt.datetime(2026, 5, 28, 9, tzinfo=dt.UTC)
    DailyEntry.objects.create(paper=paper, day=now.date(), submitted_at=now)
    return paper


def reportlab_pdf(pages: list[list[str]], *, encrypt: str | None = None, shapes: bool = False):
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, encrypt=encrypt)
    for lines in pages:
        if shapes:
            page.rect(72, 500, 300, 200, fill=1)
        for i, line in enumerate(lines):
            page.drawString(72, 720 - 14 * i, line)
        page.showPage()
    page.save()
    return out.getvalue()


def zero_page_pdf() -> bytes:
    import pypdfium2

    out = io.BytesIO()
    pypdfium2.PdfDocument.new().save(out)
    return out.getvalue()


def garbage_lines(count: int) -> list[str]:
    rng = random.Random(7)
    letters = "bcdfghjklmnpqrstvwxz#%&*"
    return [" ".join("".join(rng.choices(letters, k=6)) for _ in range(10)) for _ in range(count)]


# --- text: the fixture as arXiv-style LaTeX output ----------------------------------------------


def fixture_pages(path: Path = PAPER_PDF) -> list[str]:
    return pdf.render(str(path), 100).text_pages


def test_markdown_keeps_structure_and_drops_running_headers():
    text = markdown.to_markdown(fixture_pages(), TITLE)
    assert text.startswith(f"# {TITLE}\n")
    for heading in ("## Abstract", "## 1 Introduction", "### 2.1 Conditional computation",
                    "### 4.3 Vision", "## 6 Conclusion", "## References"):  # fmt: skip
        assert f"\n{heading}\n" in text, heading
    # The running header ("Balancing Experts Without Losing Them 2") and page numbers are gone.
    assert not re.search(r"Without Losing Them \d", text)
    assert not re.search(r"^\d+$", text, re.M)
    # Words hyphenated at line ends are whole again; a compound's own hyphen is kept.
    assert "Counterintuitively" in text and "Counterintu-" not in text
    assert "downstream" in text and "feed-forward" in text and "Mixture-of-experts" in text
    assert "\x02" not in text
    # The reference list is a Markdown list, one entry per item.
    references = text.split("## References", 1)[1]
    items = re.findall(r"^- \[(\d)\] ", references, re.M)
    assert items == ["1", "2", "3", "4"]
    assert "- [2] W. Fedus, B. Zoph, and N. Shazeer. Switch transformers" in references


def test_paragraphs_are_joined_lines():
    text = markdown.to_markdown(fixture_pages(), TITLE)
    paragraph = next(p for p in text.split("\n\n") if p.startswith("We study the interaction"))
    assert "\n" not in paragraph
    assert paragraph.endswith("the entropy of the routing distribution.")


def test_usable_text_tells_language_from_symbols():
    assert markdown.is_usable("\n".join(fixture_pages()))
    assert not markdown.is_usable("\n".join(garbage_lines(40)))
    assert not markdown.is_usable("")


# --- pictures ------------------------------------------------------------------------------------


def test_thumbnails_are_small_pngs_of_the_top_of_the_first_page():
    result = pdf.render(str(PAPER_PDF), 100)
    assert result.status == pdf.OK and result.pages == 4
    card = Image.open(io.BytesIO(result.card))
    page = Image.open(io.BytesIO(result.page))
    assert (card.format, card.size) == ("PNG", pdf.CARD)
    assert (page.format, page.size) == ("PNG", pdf.PAGE)
    assert len(result.card) <= 30_000
    # Cropped at the first ink: the top rows are not the page's blank margin but near the title.
    gray = card.convert("L")
    inked_rows = [
        y for y in range(gray.height) if gray.crop((0, y, gray.width, y + 1)).getextrema()[0] < 128
    ]
    assert inked_rows and inked_rows[0] < 0.15 * gray.height


# --- bad PDFs: each a clear status, the child process contains the damage -----------------------


@pytest.mark.parametrize(
    ("name", "make", "status"),
    [
        ("encrypted", lambda: reportlab_pdf([["secret"]], encrypt="pw"), pdf.ENCRYPTED),
        ("truncated", lambda: PAPER_PDF.read_bytes()[: PAPER_PDF.stat().st_size // 2], pdf.CORRUPT),
        ("corrupt", lambda: b"%PDF-1.5\n" + bytes(range(256)) * 40, pdf.CORRUPT),
        ("zero pages", zero_page_pdf, pdf.EMPTY),
        ("no text layer", lambda: reportlab_pdf([[]] * 3, shapes=True), pdf.NO_TEXT),
        ("garbage text", lambda: reportlab_pdf([garbage_lines(40)] * 3), pdf.NO_TEXT),
    ],
)
@pytest.mark.django_db
def test_bad_pdfs_get_a_status_and_nothing_half_written(tmp_path, renderer, name, make, status):
    paper = feed_paper()
    path = tmp_path / "bad.pdf"
    path.write_bytes(make())
    row = service.import_file(paper, path, renderer)
    assert row.status == status, row.message
    assert row.message
    paper.refresh_from_db()
    if status == pdf.NO_TEXT:  # the first page is still shown; no text is kept
        assert row.card_name and paper.thumbnail == row.card_name and row.text == ""
    else:
        assert not row.card_name and not paper.thumbnail and row.text == ""


@pytest.mark.django_db
def test_html_served_as_pdf_and_oversized_files_are_refused_before_rendering(
    tmp_path, renderer, settings
):
    paper = feed_paper()
    page = tmp_path / "error.pdf"
    page.write_bytes(b"<!DOCTYPE html><html><body>Service unavailable</body></html>")
    row = service.import_file(paper, page, renderer)
    assert (row.status, row.message) == (PaperContent.NOT_PDF, "The file is an HTML page.")
    settings.CONTENT_MAX_BYTES = 10_000
    row = service.import_file(paper, PAPER_PDF, renderer)
    assert row.status == PaperContent.TOO_LARGE and "over DAILYPAPERS_CONTENT_MAX_MB" in row.message


@pytest.mark.django_db
def test_a_2000_page_pdf_gives_the_text_of_the_first_pages(tmp_path, renderer, settings):
    settings.CONTENT_MAX_PAGES = 20
    lines = [f"Page about sparse experts and routing number {i}." for i in range(30)]
    path = tmp_path / "huge.pdf"
    path.write_bytes(reportlab_pdf([lines] * 2000))
    row = service.import_file(feed_paper(), path, renderer)
    assert row.status == pdf.PARTIAL and row.pages == 2000
    assert "first 20 of 2000 pages" in row.message
    assert row.card_name and "routing number 5." in row.text


def test_a_renderer_that_overruns_is_killed_and_the_next_pdf_goes_on():
    with Renderer(memory_mb=1024, timeout=0.001) as slow:
        result = slow.render(str(LONG_PDF), 100)
        assert result.status == "crashed" and "longer than" in result.message
        slow.timeout = 60
        assert slow.render(str(PAPER_PDF), 100).status == pdf.OK  # a new child took over


def test_a_renderer_out_of_memory_is_reported_not_fatal():
    from reportlab.pdfgen import canvas

    # A page 200 pt wide and 5 m tall: its bitmap at the preview's width is ~180 MB.
    out = io.BytesIO()
    tall = canvas.Canvas(out, pagesize=(200, 14400))
    tall.drawString(10, 14000, "tall")
    tall.showPage()
    tall.save()
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(out.getvalue())
        handle.flush()
        with Renderer(memory_mb=128, timeout=60) as capped:
            result = capped.render(handle.name, 100)
            assert result.status == "crashed" and "128 MB" in result.message, result
            assert capped.render(str(PAPER_PDF), 100).status == pdf.OK


# --- storing and serving -------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_stores_content_hashed_pictures_served_for_a_year(client, renderer):
    paper = feed_paper()
    row = service.import_file(paper, PAPER_PDF, renderer)
    assert row.status == pdf.OK and row.pages == 4 and row.version is None
    assert re.fullmatch(r"thumbs/[0-9a-f]{2}/[0-9a-f]{32}\.png", row.card_name)
    assert service.storage().exists(row.card_name) and service.storage().exists(row.page_name)
    response = client.get(f"/content/{row.card_name}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    with service.storage().open(row.card_name) as stored:
        assert b"".join(response) == stored.read()
    again = client.get(f"/content/{row.card_name}", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    # Cards and the API point at the first page; the title card stays for the others.
    feed = client.get("/papers/date/2026-05-28").content.decode()
    assert f'src="/content/{row.card_name}"' in feed
    item = client.get("/api/daily_papers", {"date": "2026-05-28"}).json()[0]
    assert item["thumbnail"].endswith(f"/content/{row.card_name}")
    other = feed_paper("2605.00002")
    assert client.get("/api/papers/2605.00002").status_code == 200
    assert (
        f'src="/papers/{other.key}/thumbnail.svg"'
        in client.get("/papers/date/2026-05-28").content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "thumbs/00/" + "0" * 32 + ".png",
        "../secret_key",
        "thumbs/aa/x.png",
        "pdf/2605.00001v1.pdf",
        "thumbs/%00",
    ],
)
def test_content_urls_outside_the_pictures_are_404(client, name):
    assert client.get(f"/content/{name}").status_code in (400, 404)


@pytest.mark.django_db
def test_a_new_rendering_replaces_the_old_files(renderer, django_capture_on_commit_callbacks):
    paper = feed_paper()
    first = service.import_file(paper, PAPER_PDF, renderer)
    old = {first.card_name, first.page_name}
    with django_capture_on_commit_callbacks(execute=True):
        second = service.import_file(paper, LONG_PDF, renderer)
    assert {second.card_name, second.page_name}.isdisjoint(old)
    assert not any(service.storage().exists(name) for name in old)
    assert PaperContent.objects.count() == 1


@pytest.mark.django_db
def test_keeping_the_pdf_is_a_setting(renderer, settings):
    paper = feed_paper()
    assert service.import_file(paper, PAPER_PDF, renderer).pdf_name == ""
    settings.CONTENT_KEEP_PDF = True
    row = service.import_file(paper, PAPER_PDF, renderer)
    assert row.pdf_name.startswith("pdf/2605.00001v1-")
    with service.storage().open(row.pdf_name) as kept:
        assert kept.read() == PAPER_PDF.read_bytes()


# --- the text as Markdown, and search over it ----------------------------------------------------


@pytest.mark.django_db
def test_full_text_is_served_as_markdown_and_through_accept(client, renderer):
    paper = feed_paper()
    before = client.get("/papers/2605.00001.md").content.decode()
    assert "## Abstract" in before and "## 1 Introduction" not in before
    service.import_file(paper, PAPER_PDF, renderer)
    text = client.get("/papers/2605.00001.md").content.decode()
    assert text.startswith(f"# {TITLE}\n")
    assert "## 1 Introduction" in text and "## References" in text
    negotiated = client.get("/papers/2605.00001", HTTP_ACCEPT="text/markdown")
    assert negotiated["Content-Type"] == "text/markdown; charset=utf-8"
    assert negotiated.content.decode() == text
    assert "Accept" in negotiated["Vary"]
    page = client.get("/papers/2605.00001", HTTP_ACCEPT="text/html,text/markdown;q=0.9")
    assert page["Content-Type"].startswith("text/html") and "Accept" in page["Vary"]
    assert "Read as Markdown" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_read_paper_of_the_real_client_returns_the_body(live_server):
    from huggingface_hub import HfApi

    paper = feed_paper()
    with Renderer(1024, 60) as own:
        service.import_file(paper, PAPER_PDF, own)
    text = HfApi(endpoint=live_server.url).read_paper("2605.00001")
    assert "### 3.1 Routing with expert choice" in text
    assert "Capacity factors, token dropping" in text


@pytest.mark.django_db
def test_the_content_row_is_in_the_change_log_and_the_body_is_searchable(client, renderer):
    from dailypapers.search import fulltext, grammar

    paper = feed_paper()
    feed_paper("2605.00002", title="Unrelated", abstract="Nothing about accelerators here.")
    fulltext.rebuild()
    before = PaperChange.objects.filter(paper_id=paper.pk).count()
    service.import_file(paper, PAPER_PDF, renderer)
    assert PaperChange.objects.filter(paper_id=paper.pk).count() > before
    fulltext.catch_up()
    index = fulltext.FullTextIndex.get()
    # "wall-clock" and "deduplicated" are only in the body, not the title or abstract.
    assert index.search(grammar.parse("deduplicated"), 10).ids == [paper.pk]
    assert index.search(grammar.parse('body:"token dropping"'), 10).ids == [paper.pk]
    assert index.search(grammar.parse('body:"dropping token"'), 10).ids == []
    # A title/abstract match still ranks above a body-only one.
    other = feed_paper("2605.00003", title="Deduplicated corpora", abstract="Deduplicated text.")
    fulltext.catch_up()
    assert index.search(grammar.parse("deduplicated"), 10).ids == [other.pk, paper.pk]
    page = client.get("/search", {"q": 'body:"token dropping"'}).content.decode()
    assert "Full text:" in page and "<mark>token</mark> <mark>dropping</mark>" in page


def test_passages_mark_stemmed_matches():
    from dailypapers.search import grammar, highlight

    found = highlight.passage(grammar.parse("routes"), ABSTRACT)
    assert found is not None and found.source == "abstract"
    assert ("route", True) in found.parts and ("routing", True) in found.parts
    assert highlight.passage(grammar.parse("zebra"), ABSTRACT) is None


# --- keywords and summaries ----------------------------------------------------------------------


def test_candidate_phrases_skip_stop_words_and_adverbs():
    phrases = describe.candidates("Sparse Experts", "We fundamentally route tokens to experts.")
    assert "Sparse Experts" in phrases and "route tokens" in phrases
    assert not any("fundamentally" in p or p.lower().startswith("we ") for p in phrases)


def test_extractive_summary_is_the_contribution_sentence():
    summary = describe.extractive_summary(TITLE, ABSTRACT)
    assert summary.startswith("We propose a moderate balancing coefficient")
    assert describe.tidy("Hence, we introduce X.") == "We introduce X."
    assert describe.tidy("To address these challenges, we build 14{,}056 tasks.") == (
        "We build 14,056 tasks."
    )


@pytest.mark.django_db
def test_generated_keywords_and_summary_are_marked_and_hf_wins(client, renderer):
    paper = feed_paper()
    service.import_file(paper, PAPER_PDF, renderer)
    paper.refresh_from_db()
    assert paper.summary_generated in describe.sentences(ABSTRACT)
    assert 3 <= len(paper.keywords_generated) <= describe.KEYWORDS
    assert all(k.lower() in (TITLE + " " + ABSTRACT).lower() for k in paper.keywords_generated)
    item = client.get("/api/papers/2605.00001").json()
    assert item["ai_summary"] == paper.summary_generated
    assert item["ai_keywords"] == paper.keywords_generated
    assert item["ai_generated"] == ["ai_summary", "ai_keywords"]
    page = client.get("/papers/2605.00001").content.decode()
    assert 'class="generated"' in page
    hf = feed_paper("2605.00002", ai_summary="HF's own.", ai_keywords=["from HF"])
    service.import_file(hf, PAPER_PDF, renderer)
    hf.refresh_from_db()
    assert hf.summary_generated == "" and hf.keywords_generated == []
    item = client.get("/api/papers/2605.00002").json()
    assert (item["ai_summary"], item["ai_keywords"], item["ai_generated"]) == (
        "HF's own.",
        ["from HF"],
        [],
    )


@pytest.mark.django_db
def test_an_openai_compatible_server_writes_the_summary(arxiv, settings, renderer):
    import json

    answer = {
        "choices": [
            {"message": {"role": "assistant", "content": " Balancing experts,\n briefly. "}}
        ]
    }
    arxiv.route("/v1/chat/completions", Reply(200, json.dumps(answer).encode()))
    settings.LLM_URL = f"{arxiv.url}/v1"
    settings.LLM_MODEL = "qwen2.5-0.5b"
    paper = feed_paper()
    row = service.import_file(paper, PAPER_PDF, renderer)
    paper.refresh_from_db()
    assert paper.summary_generated == "Balancing experts, briefly."
    assert row.summary_method == "llm:qwen2.5-0.5b"
    # A server that fails leaves the extractive summary.
    arxiv.route("/v1/chat/completions", Reply(500, b"overloaded"))
    other = feed_paper("2605.00002")
    row = service.import_file(other, PAPER_PDF, renderer)
    other.refresh_from_db()
    assert row.summary_method == "extractive" and other.summary_generated.startswith("We propose")


# --- fetching from arXiv, politely ---------------------------------------------------------------


@pytest.fixture
def pdfs(arxiv, settings):
    settings.PDF_URL = f"{arxiv.url}/pdf"
    return arxiv


@pytest.mark.django_db
def test_fetch_is_polite_and_each_failure_is_a_status(pdfs, polite, clock, settings):
    settings.CONTENT_MAX_BYTES = 200_000
    good, _html, _gone, _big, _unsized, flaky = (
        feed_paper(f"2605.0000{i}", latest_version=2 if i == 1 else 1) for i in range(1, 7)
    )
    pdf_type = {"Content-Type": "application/pdf"}
    pdfs.route("/pdf/2605.00001v2", Reply(200, PAPER_PDF.read_bytes(), pdf_type))
    pdfs.route(
        "/pdf/2605.00002v1", Reply(200, b"<html>Rate limited</html>", {"Content-Type": "text/html"})
    )
    pdfs.route("/pdf/2605.00003v1", Reply(404, b"No such paper"))
    pdfs.route("/pdf/2605.00004v1", Reply(200, b"%PDF-" + b"0" * 300_000, pdf_type))
    pdfs.route(
        "/pdf/2605.00005v1", Reply(200, b"%PDF-" + b"0" * 300_000, pdf_type | {UNSIZED: "1"})
    )
    pdfs.route("/pdf/2605.00006v1", Reply(503, b"busy", {"Retry-After": "7"}), RESET, RESET)
    counts = service.run(service.due().order_by("id"), polite)
    statuses = dict(PaperContent.objects.values_list("paper__arxiv_id", "status"))
    assert statuses == {
        "2605.00001": pdf.OK,
        "2605.00002": PaperContent.NOT_PDF,
        "2605.00003": PaperContent.UNAVAILABLE,
        "2605.00004": PaperContent.TOO_LARGE,
        "2605.00005": PaperContent.TOO_LARGE,
        "2605.00006": PaperContent.FETCH_FAILED,
    }
    assert sum(counts.values()) == 6
    assert PaperContent.objects.get(paper=good).version == 2
    # One request at a time, at least 3 s apart; Retry-After was honoured.
    times = [hit.at for hit in pdfs.hits]
    assert all(b - a >= 3.0 for a, b in itertools.pairwise(times))
    assert 7.0 in clock.sleeps
    # A failed fetch waits before its next try; the others are final until a new version.
    flaky_row = PaperContent.objects.get(paper=flaky)
    assert flaky_row.next_attempt_at is not None and flaky_row.attempts == 1
    assert list(service.due()) == []
    assert flaky in service.due(now=flaky_row.next_attempt_at)
    Paper.objects.filter(pk=good.pk).update(latest_version=3)
    assert good in service.due()


@pytest.mark.django_db
def test_only_feed_papers_are_fetched_unless_categories_are_asked_for(settings):
    listed = Paper.objects.create(
        arxiv_id="2605.00009", title="Catalogue only", categories=["cs.LG"]
    )
    from dailypapers.papers.models import PaperCategory

    PaperCategory.objects.create(paper=listed, category="cs.LG")
    picked = feed_paper()
    assert list(service.due()) == [picked]
    settings.CONTENT = "categories"
    settings.INGEST_CATEGORIES = ["cs.LG"]
    assert set(service.due()) == {picked, listed}
    settings.CONTENT = "off"
    assert list(service.due()) == []


# --- the command ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_import_fetch_and_status(pdfs, capsys, tmp_path, settings):
    feed_paper()
    with pytest.raises(CommandError, match="not in the catalogue"):
        call_command("content", "import", "2605.09999", str(PAPER_PDF))
    with pytest.raises(CommandError, match="no such file"):
        call_command("content", "import", "2605.00001", str(tmp_path / "missing.pdf"))
    with pytest.raises(CommandError, match="usage"):
        call_command("content", "import", "2605.00001")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    with pytest.raises(CommandError, match="corrupt or truncated"):
        call_command("content", "import", "2605.00001", str(bad))
    call_command("content", "import", "arXiv:2605.00001v1", str(PAPER_PDF))
    assert "2605.00001: ok (4 pages.)" in capsys.readouterr().out
    settings.ARXIV_DELAY = 0
    pdfs.route(
        "/pdf/2605.00001v1", Reply(200, LONG_PDF.read_bytes(), {"Content-Type": "application/pdf"})
    )
    call_command("content", "fetch", "--id", "2605.00001", "--no-progress")
    assert "Fetched 1 paper: 1 ok." in capsys.readouterr().out
    assert PaperContent.objects.get().pages == 18
    call_command("content", "status")
    out = capsys.readouterr().out
    assert re.search(r"1  ok\s+thumbnail and text", out) and "0  to fetch now" in out


# --- several web nodes: the pictures in an S3-compatible bucket ---------------------------------


@pytest.fixture
def bucket(settings, monkeypatch):
    """A local S3-compatible server (moto's), its bucket as the content storage."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    from tests.system.test_crash import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="papers")
    from dailypapers import settings as product

    storage = product.content_storage("papers/site", endpoint)  # as the two settings say
    settings.STORAGES = {**settings.STORAGES, "content": storage}
    yield s3
    server.stop()


@pytest.mark.django_db
def test_pictures_live_in_the_bucket_and_every_node_serves_them(bucket, client, renderer, settings):
    settings.CONTENT_KEEP_PDF = True
    paper = feed_paper()
    row = service.import_file(paper, PAPER_PDF, renderer)
    assert row.status == pdf.OK
    keys = {item["Key"] for item in bucket.list_objects_v2(Bucket="papers")["Contents"]}
    assert {f"site/{row.card_name}", f"site/{row.page_name}", f"site/{row.pdf_name}"} == keys
    response = client.get(f"/content/{row.card_name}")
    assert response.status_code == 200
    assert (
        response.content
        == bucket.get_object(Bucket="papers", Key=f"site/{row.card_name}")["Body"].read()
    )
    missing = "thumbs/00/" + "0" * 32 + ".png"
    assert client.get(f"/content/{missing}").status_code == 404


@pytest.mark.django_db
def test_the_worker_task_fetches_what_is_due(pdfs, settings):
    from dailypapers.content.tasks import fetch_content

    settings.ARXIV_DELAY = 0
    feed_paper()
    pdfs.route(
        "/pdf/2605.00001v1", Reply(200, PAPER_PDF.read_bytes(), {"Content-Type": "application/pdf"})
    )
    assert fetch_content.call_local() == {pdf.OK: 1}
    assert fetch_content.call_local() == {}  # nothing due any more
    assert [hit.path for hit in pdfs.hits] == ["/pdf/2605.00001v1"]
