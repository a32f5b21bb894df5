import gzip
import io
import json
import zlib

import pytest
from django.core.management import CommandError, call_command

from dailypapers.feed.models import DailyEntry
from dailypapers.ingest.importer import ImportFileError, import_files
from dailypapers.papers.models import Paper, PaperCategory, PaperVersion
from dailypapers.papers.text import tex_to_unicode
from tests.conftest import arxiv_row

pytestmark = pytest.mark.django_db


def counts():
    return (
        Paper.objects.count(),
        DailyEntry.objects.count(),
        PaperCategory.objects.count(),
        PaperVersion.objects.count(),
    )


def test_it_imports_a_real_shard_of_the_shared_corpus(shared_data, tmp_path):
    shard = shared_data / "arxiv-daily" / "papers-2401.jsonl.gz"
    with gzip.open(shard, "rt") as f:
        lines = [next(f) for _ in range(300)]
    sample = tmp_path / "sample.jsonl.gz"
    sample.write_bytes(gzip.compress("".join(lines).encode()))
    result = import_files("arxiv", [sample])
    assert result.records == 300
    assert result.counts.new == 300
    assert Paper.objects.count() == 300
    first = json.loads(lines[0])
    paper = Paper.objects.get(arxiv_id=first["id"])
    # TeX accents become Unicode (the first record's title says Nordstr\"{o}m).
    assert paper.title == tex_to_unicode(first["title"]) != first["title"]
    assert "Nordström" in paper.title
    assert paper.authors == first["authors"]
    # An arXiv dump fills the catalogue, dated by its listing day; it does not fill the feed.
    assert paper.listed_on.isoformat() == first["listed_date"]
    assert not DailyEntry.objects.exists()
    assert sorted(paper.category_links.values_list("category", flat=True)) == sorted(
        first["categories"]
    )


def test_reimporting_is_idempotent(write_jsonl):
    path = write_jsonl("a.jsonl.gz", [arxiv_row(f"2605.{i:05d}") for i in range(1, 51)])
    first = import_files("arxiv", [path])
    before = counts()
    again = import_files("arxiv", [path])
    assert first.counts.new == 50
    assert again.counts.new == 0
    assert again.counts.unchanged == 50
    assert counts() == before == (50, 0, 100, 0)


def test_plain_and_gzip_files_and_directories_are_read(write_jsonl, tmp_path):
    write_jsonl("plain.jsonl", [arxiv_row("2605.00001")])
    write_jsonl("zipped.jsonl.gz", [arxiv_row("2605.00002")])
    (tmp_path / "notes.txt").write_text("ignored: not a .json* file")
    result = import_files("arxiv", [tmp_path])
    assert result.files == 2
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {"2605.00001", "2605.00002"}


def test_a_newer_version_updates_the_paper_and_keeps_its_days(write_jsonl):
    v1 = arxiv_row("2605.00001", title="First title", listed_date="2026-05-04")
    import_files("arxiv", [write_jsonl("v1.jsonl", [v1])], feed=True)
    v2 = arxiv_row(
        "2605.00001v2",
        title="Second title",
        categories=["cs.CL"],
        primary_category="cs.CL",
        listed_date="2026-05-20",
    )
    result = import_files("arxiv", [write_jsonl("v2.jsonl", [v2])])
    assert result.counts.updated == 1
    paper = Paper.objects.get(arxiv_id="2605.00001")
    assert paper.title == "Second title"
    assert paper.latest_version == 2
    assert list(paper.category_links.values_list("category", flat=True)) == ["cs.CL"]
    assert paper.entry.day.isoformat() == "2026-05-04"
    assert paper.listed_on.isoformat() == "2026-05-04"  # its first announcement

    stale = import_files("arxiv", [write_jsonl("old.jsonl", [{**v1, "id": "2605.00001v1"}])])
    assert stale.counts.stale == 1
    assert Paper.objects.get(arxiv_id="2605.00001").title == "Second title"


def test_versions_listed_by_a_metadata_dump_are_recorded(write_jsonl):
    row = arxiv_row(
        "0704.0001",
        listed_date=None,
        versions=[
            {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
            {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
        ],
    )
    import_files("arxiv", [write_jsonl("dump.json", [row])])
    paper = Paper.objects.get(arxiv_id="0704.0001")
    assert list(paper.versions.values_list("version", flat=True)) == [1, 2]
    assert paper.latest_version == 2
    assert paper.listed_on.isoformat() == "2007-04-02"  # no listing day: the first version's


def test_a_malformed_record_is_reported_with_file_and_line_and_skipped(write_jsonl):
    path = write_jsonl(
        "mixed.jsonl",
        [
            arxiv_row("2605.00001"),
            "{not json",
            arxiv_row("2613.00001"),
            arxiv_row("2605.00002", title=""),
            arxiv_row("2605.00003"),
        ],
    )
    reported = []
    result = import_files("arxiv", [path], on_problem=reported.append)
    assert [(p.line, p.path) for p in reported] == [(2, str(path)), (3, str(path)), (4, str(path))]
    assert "invalid JSON" in reported[0].message
    assert "month" in reported[1].message
    assert "title" in reported[2].message
    assert str(reported[0]).startswith(f"{path}:2: ")
    assert result.skipped == 3
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {"2605.00001", "2605.00003"}


@pytest.mark.parametrize(
    "content",
    [
        b"\x1f\x8b\x08\x00garbage that is not deflate",
        b"id,title\n2605.00001,CSV is not JSONL\n",
        b"not json at all\nnor this\n",
        b"\xff\xfe\x00binary\x00",
    ],
)
def test_a_malformed_file_is_a_clear_error_and_changes_nothing(tmp_path, content):
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=str(path)):
        import_files("arxiv", [path])
    assert counts() == (0, 0, 0, 0)


def test_a_truncated_gzip_file_rolls_back_its_valid_lines_too(tmp_path):
    rows = "".join(json.dumps(arxiv_row(f"2605.{i:05d}")) + "\n" for i in range(1, 3001))
    data = gzip.compress(rows.encode())
    path = tmp_path / "truncated.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ImportFileError, match="cannot be read"):
        import_files("arxiv", [path])
    assert counts() == (0, 0, 0, 0)


def test_hugging_face_api_json_is_imported_with_votes(tmp_path):
    from tests.ingest.test_formats import HF_API_ITEM

    other = json.loads(json.dumps(HF_API_ITEM))
    other["paper"]["id"] = "2602.00001"
    other["paper"]["upvotes"] = 3
    path = tmp_path / "daily_papers.json"
    path.write_text(json.dumps([HF_API_ITEM, other], indent=2))
    result = import_files("hf", [path])
    assert result.counts.new == 2
    entry = DailyEntry.objects.select_related("paper").get(paper__arxiv_id="2602.23229")
    assert (entry.paper.upvotes, entry.paper.num_comments) == (10, 1)
    assert (entry.submitter_name, entry.source) == ("marco-garosi", "hf")


def test_a_bad_item_in_a_json_array_is_reported_with_its_line(tmp_path):
    from tests.ingest.test_formats import HF_API_ITEM

    bad = json.loads(json.dumps(HF_API_ITEM))
    bad["paper"]["id"] = "not-an-id"
    path = tmp_path / "daily_papers.json"
    path.write_text(json.dumps([HF_API_ITEM, bad], indent=1))
    reported = []
    import_files("hf", [path], on_problem=reported.append)
    assert len(reported) == 1
    item_starts = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line == " {"]
    assert reported[0].line == item_starts[1]  # where the bad item's object begins


def test_the_shared_hf_rows_import_with_their_real_votes(shared_data, tmp_path):
    lines = (shared_data / "hf-daily-papers" / "hf_daily_papers.jsonl").read_text().splitlines()
    sample = tmp_path / "hf.jsonl"
    sample.write_text("\n".join(lines[:40]) + "\n")
    import_files("hf", [sample])
    for line in lines[:40]:
        row = json.loads(line)
        entry = DailyEntry.objects.select_related("paper").get(paper__arxiv_id=row["arxiv_id"])
        assert entry.paper.upvotes == row["upvotes"]
        assert entry.day.isoformat() == row["daily_date"]


def test_sources_merge_whatever_the_order_and_local_votes_survive(write_jsonl):
    arxiv = arxiv_row("2605.00001", listed_date="2026-05-04")
    hf = {
        "arxiv_id": "2605.00001",
        "daily_date": "2026-05-05",
        "title": "Paper 2605.00001",
        "abstract": "Abstract of 2605.00001.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "upvotes": 7,
        "num_comments": 2,
        "github_repo": "https://github.com/ada/engine",
    }
    import_files("arxiv", [write_jsonl("a.jsonl", [arxiv])])
    import_files("hf", [write_jsonl("h.jsonl", [hf])])
    Paper.objects.filter(arxiv_id="2605.00001").update(upvotes_local=5)
    import_files("hf", [write_jsonl("h2.jsonl", [{**hf, "upvotes": 9}])])
    import_files("arxiv", [write_jsonl("a2.jsonl", [arxiv])])

    paper = Paper.objects.get(arxiv_id="2605.00001")
    assert paper.categories == ["cs.LG", "stat.ML"]
    assert paper.code_url == "https://github.com/ada/engine"
    # Listed by arXiv on the 4th, picked by Hugging Face's community on the 5th.
    assert (paper.listed_on.isoformat(), paper.entry.day.isoformat()) == (
        "2026-05-04",
        "2026-05-05",
    )
    assert (paper.upvotes_imported, paper.upvotes_local, paper.upvotes) == (9, 5, 14)


def test_duplicates_within_one_file_keep_the_highest_version(write_jsonl):
    rows = [
        arxiv_row("2605.00001v2", title="v2"),
        arxiv_row("2605.00001v1", title="v1"),
    ]
    import_files("arxiv", [write_jsonl("dupes.jsonl", rows)])
    assert Paper.objects.get().title == "v2"


def test_each_format_decides_the_feed_unless_the_operator_says_so(write_jsonl):
    from tests.ingest.test_formats import HF_API_ITEM

    arxiv = write_jsonl("a.jsonl", [arxiv_row("2605.00001"), arxiv_row("2605.00002")])
    hf = write_jsonl("h.jsonl", [HF_API_ITEM])
    import_files("arxiv", [arxiv])
    import_files("hf", [hf], feed=False)
    assert (Paper.objects.count(), DailyEntry.objects.count()) == (3, 0)
    import_files("hf", [hf])  # a curated source: into the feed
    assert list(DailyEntry.objects.values_list("source", flat=True)) == ["hf"]
    result = import_files("arxiv", [arxiv], feed=True)  # the operator's choice
    assert result.counts.entered_feed == 2
    entry = DailyEntry.objects.get(paper__arxiv_id="2605.00001")
    assert (entry.source, entry.day.isoformat()) == ("import", "2026-05-04")


def test_the_import_command_prints_a_summary(write_jsonl):
    path = write_jsonl("a.jsonl", [arxiv_row("2605.00001"), "{oops", arxiv_row("2605.00002")])
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "arxiv", str(path), "--no-progress", stdout=out, stderr=err)
    summary = out.getvalue()
    assert "Imported 2 records from 1 file(s)" in summary
    assert "2 new" in summary
    assert "1 malformed skipped, 0 entered the Daily feed" in summary
    assert f"skipped {path}:2: invalid JSON" in err.getvalue()


def test_the_import_command_fails_clearly_on_bad_paths_and_files(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "arxiv", str(tmp_path / "missing.jsonl"), "--no-progress")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(zlib.compress(b"not gzip, not text"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("import", "arxiv", str(bad), "--no-progress", stderr=err, stdout=io.StringIO())
    assert "nothing from this file was imported" in err.getvalue()
