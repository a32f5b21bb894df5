"""Library imports (issue 28): the title key, large imports in the worker with their progress,
every encoding, the one size limit, the rate limit; collections made all or nothing; the API's
pages of a collection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dailypapers.api.models import ApiToken
from dailypapers.library import collections, imports, tasks
from dailypapers.library.models import Collection, ImportJob
from dailypapers.papers import store
from dailypapers.papers.models import Paper
from dailypapers.papers.records import PaperRecord
from dailypapers.papers.text import title_key
from tests.library.test_personal import add_paper, user


@pytest.fixture
def owner(db):
    return user("ada")


@pytest.fixture
def papers(db):
    return [
        add_paper(1, "Schrödinger's cats: a quantum survey", feed=False),
        add_paper(2, "Self-driving cars in heavy rain", feed=False),
        add_paper(3, "A survey of graph neural networks", feed=False),
    ]


def entries(n: int, start: int = 0) -> str:
    """`n` BibTeX entries naming no catalogued paper (the file's bulk)."""
    return "".join(
        f"@article{{k{i}, title = {{An uncatalogued study number {i}}}, year = 2020}}\n"
        for i in range(start, start + n)
    )


MATCHING = (
    "@misc{a, title = {Schr{\\\"o}dinger's Cats -- A Quantum Survey}}\n"
    "@misc{b, title = {SELF DRIVING CARS IN HEAVY RAIN.}}\n"
    "@misc{c, eprint = {2605.00003}, title = {whatever}}\n"
)


# --- the title key ------------------------------------------------------------------------


def test_the_title_key_ignores_case_accents_punctuation_and_tex():
    key = title_key("Schrödinger's cats: a quantum survey")
    assert key == "schrodinger s cats a quantum survey"
    for variant in (
        "Schr{\\\"o}dinger's Cats -- A Quantum Survey",
        "SCHRODINGER\u2019S CATS: A QUANTUM SURVEY!",
        "  Schro\u0308dinger's   {cats}:\na quantum survey",
    ):
        assert title_key(variant) == key
    assert len(title_key("word " * 100)) <= 200


def test_every_write_keeps_the_title_key(db):
    made = add_paper(9, "Deep Nets: {A} Review", feed=False)
    assert made.title_key == "deep nets a review"
    made.title = "Shallow nets"
    made.save(update_fields=["title"])
    assert Paper.objects.get(pk=made.pk).title_key == "shallow nets"
    store.write([PaperRecord(title="Bulk-Written Títle", arxiv_id="2605.00777")])
    assert Paper.objects.get(arxiv_id="2605.00777").title_key == "bulk written title"
    store.write([PaperRecord(title="Bulk title, revised", arxiv_id="2605.00777", version=2)])
    assert Paper.objects.get(arxiv_id="2605.00777").title_key == "bulk title revised"


def test_titles_are_matched_by_the_key_in_few_queries(owner, papers, django_assert_max_num_queries):
    c = collections.create(owner, "Keyed")
    refs = imports.parse_library(MATCHING.encode(), "x.bib")[1]
    with django_assert_max_num_queries(3):
        matched = imports.match(refs)
    assert [(e.paper.pk if e.paper else None, e.how) for e in matched] == [
        (papers[0].pk, "title"),
        (papers[1].pk, "title"),
        (papers[2].pk, "arXiv id"),
    ]
    report = imports.import_library(c, MATCHING.encode(), "x.bib")
    assert report.added == 3


def test_a_doi_is_matched_whatever_its_case(owner, papers):
    Paper.objects.filter(pk=papers[1].pk).update(doi="10.1234/Rain.2026")
    c = collections.create(owner, "DOI")
    report = imports.import_library(c, b"@misc{x, doi = {10.1234/RAIN.2026}, title={No}}", "x.bib")
    assert report.entries[0].how == "DOI" and report.entries[0].paper.pk == papers[1].pk


# --- encodings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding",
    ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-8"],
)
@pytest.mark.parametrize("bom", [True, False])
def test_utf_16_and_32_with_or_without_a_bom(owner, papers, encoding, bom):
    text = MATCHING.replace("{whatever}", "{Ünïcödé ☃ 論文}")
    data = text.encode(encoding)
    if bom:
        data = "\ufeff".encode(encoding) + data
    assert imports.decode(data) == text
    c = collections.create(owner, f"{encoding} {bom}")
    assert imports.import_library(c, data, "lib.bib").added == 3


def test_ris_in_utf_16_without_a_bom(owner, papers):
    ris = "TY  - JOUR\r\nTI  - Self-driving cars in heavy rain\r\nER  - \r\n"
    c = collections.create(owner, "RIS")
    report = imports.import_library(c, ris.encode("utf-16-le"), "export.ris")
    assert report.format == "RIS" and report.added == 1


# --- the size limit -----------------------------------------------------------------------


def test_the_stated_limit_is_the_accepted_size(client, owner, papers, settings):
    c = collections.create(owner, "Big")
    client.force_login(owner)
    page = client.get(f"/collections/{c.pk}/import").content.decode()
    assert f"up to {imports.limit_text()}" in page and imports.limit_text() == "2 MB"
    body = entries(1)
    data = (body + "%" * (imports.MAX_BYTES - len(body))).encode()
    assert len(data) == imports.MAX_BYTES
    # The site's own body limit lets the largest file and its form through.
    assert imports.MAX_BYTES + 64 * 1024 <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    answer = client.post(f"/collections/{c.pk}/import", {"file": SimpleUploadedFile("a.bib", data)})
    assert answer.status_code == 302  # accepted, and queued (it is large)
    too_big = client.post(
        f"/collections/{c.pk}/import", {"file": SimpleUploadedFile("b.bib", data + b"%")}
    )
    assert too_big.status_code == 400
    assert "at most 2 MB" in too_big.content.decode()


# --- large imports in the worker ----------------------------------------------------------


def large_file(extra: str = MATCHING) -> bytes:
    data = (extra + entries(1200)).encode()
    assert imports.needs_worker(len(data))
    return data


def test_a_large_import_runs_in_the_worker_with_its_progress(client, owner, papers):
    c = collections.create(owner, "Large")
    client.force_login(owner)
    answer = client.post(
        f"/collections/{c.pk}/import", {"file": SimpleUploadedFile("big.bib", large_file())}
    )
    job = ImportJob.objects.get(collection=c)
    assert answer.status_code == 302 and answer["Location"].endswith(f"?job={job.pk}")
    assert job.status == ImportJob.QUEUED and not c.items.exists()

    progress = client.get(answer["Location"]).content.decode()
    assert 'http-equiv="refresh"' in progress and "Waiting for the server" in progress
    shown = client.get(c.get_absolute_url()).content.decode()
    assert 'http-equiv="refresh"' in shown and f"?job={job.pk}" in shown
    again = client.post(
        f"/collections/{c.pk}/import", {"file": SimpleUploadedFile("big.bib", large_file())}
    )
    assert again.status_code == 400 and "under way" in again.content.decode()

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.RUNNING, total=1203, done=500, stage="matching entries"
    )
    running = client.get(answer["Location"]).content.decode()
    assert "500 of 1,203 entries" in running and "<progress" in running
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.QUEUED)

    assert tasks.run_import.call_local(job.pk) == ImportJob.DONE
    job.refresh_from_db()
    assert job.status == ImportJob.DONE and job.total == job.done == 1203 and not job.data
    assert set(c.items.values_list("paper_id", flat=True)) == {p.pk for p in papers}
    done = client.get(answer["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in done and "3 papers added" in done
    assert "An uncatalogued study number 1199" in done
    assert 'http-equiv="refresh"' not in client.get(c.get_absolute_url()).content.decode()
    assert tasks.run_import.call_local(job.pk) == "taken"  # never twice


def test_a_large_import_past_the_collection_size_adds_nothing(owner, papers, monkeypatch):
    c = collections.create(owner, "Full")
    collections.add(c, papers[0])
    monkeypatch.setattr(imports, "MAX_ITEMS", 2)
    job = imports.queue(c, large_file(), "big.bib")
    assert tasks.run_import.call_local(job.pk) == ImportJob.FAILED
    job.refresh_from_db()
    assert "at most 2" in job.error
    assert list(c.items.values_list("paper_id", flat=True)) == [papers[0].pk]


def test_the_sweep_runs_imports_whose_task_was_lost(owner, papers):
    c = collections.create(owner, "Lost")
    job = imports.queue(c, large_file(), "big.bib")
    stuck = imports.queue(collections.create(owner, "Stuck"), large_file(), "big.bib")
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    ImportJob.objects.filter(pk=stuck.pk).update(status=ImportJob.RUNNING, started_at=long_ago)
    assert tasks.run_waiting_imports.call_local() == 2
    assert set(ImportJob.objects.values_list("status", flat=True)) == {ImportJob.DONE}
    assert c.items.count() == 3 and job.pk


def test_the_import_is_rate_limited(client, owner, papers, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "collection-import": (2, 3600)}
    c = collections.create(owner, "Limited")
    client.force_login(owner)
    url = f"/collections/{c.pk}/import"
    for _ in range(2):
        ok = client.post(url, {"file": SimpleUploadedFile("a.bib", MATCHING.encode())})
        assert ok.status_code == 200
    refused = client.post(url, {"file": SimpleUploadedFile("a.bib", MATCHING.encode())})
    assert refused.status_code == 429
    assert client.get(url).status_code == 200  # the form is not counted


# --- all or nothing -----------------------------------------------------------------------


def boom(*args, **kwargs):
    raise RuntimeError("the database went away")


def test_a_collection_made_with_a_missing_paper_is_not_made(client, owner, papers, monkeypatch):
    client.force_login(owner)
    form = {"name": "First", "paper": "2605.99999"}
    assert client.post("/collections/new", form).status_code == 404
    assert not Collection.objects.filter(owner=owner).exists()
    monkeypatch.setattr(collections, "add", boom)
    failing = Client(raise_request_exception=False)
    failing.force_login(owner)
    crashed = failing.post("/collections/new", {**form, "paper": papers[0].arxiv_id})
    assert crashed.status_code == 500
    assert not Collection.objects.filter(owner=owner).exists()
    monkeypatch.undo()
    again = client.post("/collections/new", {**form, "paper": papers[0].arxiv_id})
    assert again.status_code == 302
    made = Collection.objects.get(owner=owner)
    assert made.name == "First" and list(made.items.values_list("paper_id", flat=True)) == [
        papers[0].pk
    ]


def test_the_api_makes_a_collection_with_its_first_paper_or_nothing(owner, papers, monkeypatch):
    _, token = ApiToken.create_for(owner, "me")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
    body = {"name": "Reading", "paper_id": "2605.99999", "note": "first"}
    missing = api.post("/api/collections", body, content_type="application/json")
    assert missing.status_code == 404 and not Collection.objects.exists()
    monkeypatch.setattr(collections, "add", boom)
    body["paper_id"] = papers[1].arxiv_id
    failed = api.post("/api/collections", body, content_type="application/json")
    assert failed.status_code == 500 and not Collection.objects.exists()
    monkeypatch.undo()
    made = api.post("/api/collections", body, content_type="application/json")
    assert made.status_code == 201, made.content
    shape = made.json()
    assert shape["name"] == "Reading" and shape["total"] == 1
    assert shape["papers"][0]["note"] == "first" and shape["papers"][0]["position"] == 1
    taken = api.post("/api/collections", body, content_type="application/json")
    assert taken.status_code == 400 and "already" in taken.json()["error"]
    assert Collection.objects.get().items.count() == 1


# --- pages of a collection in the API -----------------------------------------------------


def test_the_api_gives_a_collection_in_pages(owner, db):
    c = collections.create(owner, "Paged", public=True)
    for n in range(7):
        collections.add(c, add_paper(100 + n, f"Paper number {n}", feed=False))
    first = Client().get(f"/api/collections/{c.pk}?limit=3")
    data = first.json()
    assert data["name"] == "Paged" and data["total"] == 7
    assert [p["position"] for p in data["papers"]] == [1, 2, 3]
    assert first["Link"] == f'</api/collections/{c.pk}?limit=3&p=1>; rel="next"'
    last = Client().get(f"/api/collections/{c.pk}?limit=3&p=2")
    assert [p["position"] for p in last.json()["papers"]] == [7] and "Link" not in last
    default = Client().get(f"/api/collections/{c.pk}").json()
    assert len(default["papers"]) == 7 and default["papers"][0]["id"] == "2605.00100"
    assert Client().get(f"/api/collections/{c.pk}?limit=501").status_code == 400
