import datetime as dt

import pytest

from dailypapers.ingest.formats import authors_of, code_url_in, parse_arxiv, parse_hf
from dailypapers.papers.records import RecordError

SHARED_RECORD = {
    "id": "2401.00048",
    "title": "Polynomial  time decay\nfor solutions",
    "abstract": "We consider ... https://github.com/owner/repo.",
    "authors": ["Yakov Shlapentokh-Rothman", "Maxime Van de Moortel"],
    "categories": ["gr-qc", "math-ph", "math.AP"],
    "primary_category": "gr-qc",
    "comment": "76 pages, 2 figures",
    "listed_date": "2024-01-02",
    "source": "peiyade/daily-arXiv-ai-enhanced",
}

KAGGLE_RECORD = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky and C.-P. Yuan",
    "title": "Calculation of prompt diphoton production cross sections",
    "comments": "37 pages",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "categories": "hep-ph",
    "abstract": "A fully differential calculation ...",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
}

# The shape /api/daily_papers returns (shared/research/hf_papers.md, section 2.2), trimmed.
HF_API_ITEM = {
    "paper": {
        "id": "2602.23229",
        "authors": [
            {"_id": "69aa", "name": "Marco Garosi", "hidden": False},
            {"_id": "69ab", "name": "Hidden Person", "hidden": True},
        ],
        "publishedAt": "2026-02-26T17:08:18.000Z",
        "submittedOnDailyAt": "2026-03-06T03:55:12.777Z",
        "title": "Large Multimodal Models as General In-Context Classifiers",
        "submittedOnDailyBy": {"fullname": "Marco Garosi", "user": "marco-garosi"},
        "summary": "Which multimodal model should we use for classification?",
        "upvotes": 10,
        "discussionId": "69aa20edc4f6edddcc6c85d2",
        "projectPage": "https://circle-lmm.github.io/",
        "githubRepo": "https://github.com/marco-garosi/CIRCLE",
        "ai_summary": "Large Multimodal Models demonstrate superior performance.",
        "ai_keywords": ["Vision-Language Models", "in-context learning"],
        "githubStars": 9,
        "organization": {"name": "MHUGLab", "fullname": "Multimedia and Human Understanding Group"},
    },
    "publishedAt": "2026-02-26T12:08:18.000Z",
    "title": "Large Multimodal Models as General In-Context Classifiers",
    "numComments": 1,
    "submittedBy": {"fullname": "Marco Garosi", "name": "marco-garosi"},
    "isAuthorParticipating": False,
}


def test_it_parses_the_shared_arxiv_format():
    record = parse_arxiv(SHARED_RECORD)
    assert record.arxiv_id == "2401.00048"
    assert record.version is None
    assert record.title == "Polynomial time decay for solutions"
    assert record.categories == ["gr-qc", "math-ph", "math.AP"]
    assert record.primary_category == "gr-qc"
    # An arXiv dump fills the catalogue: its listing day dates the paper, no feed day.
    assert (record.listed_on, record.feed_day) == (dt.date(2024, 1, 2), None)
    assert record.code_url == "https://github.com/owner/repo"


def test_it_parses_the_kaggle_snapshot_format():
    record = parse_arxiv(KAGGLE_RECORD)
    # arXiv's TeX accents become Unicode, as its API sends them.
    assert record.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert record.categories == ["hep-ph"]
    assert record.version == 2
    assert record.versions[0] == (1, dt.datetime(2007, 4, 2, 19, 18, 42, tzinfo=dt.UTC))
    assert record.published_at == dt.datetime(2007, 4, 2, 19, 18, 42, tzinfo=dt.UTC)
    assert record.revised_at.date() == dt.date(2007, 7, 24)
    assert (record.listed_on, record.feed_day) == (None, None)
    assert record.journal_ref == "Phys.Rev.D76:013009,2007"
    assert record.doi == "10.1103/PhysRevD.76.013009"
    assert record.comment == "37 pages"


def test_it_parses_a_hugging_face_api_item():
    record = parse_hf(HF_API_ITEM)
    assert record.arxiv_id == "2602.23229"
    assert record.authors == ["Marco Garosi"]
    assert record.upvotes == 10
    assert record.num_comments == 1
    assert record.submitter_name == "marco-garosi"
    # Hugging Face is a curated source: its papers enter the feed on its day.
    assert (record.feed_day, record.feed_source) == (dt.date(2026, 3, 6), "hf")
    assert record.code_url == "https://github.com/marco-garosi/CIRCLE"
    assert record.project_url == "https://circle-lmm.github.io/"
    assert record.github_stars == 9
    assert record.organization == "Multimedia and Human Understanding Group"
    assert record.ai_keywords == ["Vision-Language Models", "in-context learning"]


def test_it_parses_a_flattened_hugging_face_row():
    record = parse_hf(
        {
            "arxiv_id": "2512.24880",
            "daily_date": "2026-01-01",
            "title": "mHC: Manifold-Constrained Hyper-Connections",
            "abstract": "Recently ...",
            "authors": ["Zhenda Xie"],
            "published_at": "2025-12-31T14:16:26.000Z",
            "submitted_on_daily_at": "2026-01-01T00:00:00.000Z",
            "upvotes": 328,
            "num_comments": 8,
            "github_repo": None,
            "project_page": None,
            "institution": "DeepSeek",
        }
    )
    assert (record.feed_day, record.feed_source) == (dt.date(2026, 1, 1), "hf")
    assert record.upvotes == 328
    assert record.organization == "DeepSeek"
    assert record.published_at == dt.datetime(2025, 12, 31, 14, 16, 26, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "2113.00001"}, "month"),
        ({"id": None}, "missing arXiv id"),
        ({"title": "  "}, "missing 'title'"),
        ({"authors": "not a list"}, None),
        ({"authors": [1, 2]}, "list of strings"),
        ({"listed_date": "2024-13-45"}, "not a YYYY-MM-DD date"),
        ({"categories": 7}, "list of strings"),
        ({"abstract": {"x": 1}}, "expected text"),
    ],
)
def test_a_malformed_arxiv_record_says_what_is_wrong(change, message):
    record = {**SHARED_RECORD, **change}
    if message is None:  # an author string is a valid (Kaggle) form
        assert parse_arxiv(record).authors == ["not a list"]
        return
    with pytest.raises(RecordError, match=message):
        parse_arxiv(record)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"upvotes": -1}, "an integer from 0 to 2147483647"),
        ({"upvotes": 2**31}, "an integer from 0 to 2147483647"),
        ({"upvotes": "12"}, "an integer from 0"),
        ({"github_repo": "javascript:alert(1)"}, "not an http"),
        ({"published_at": "yesterday"}, "not a date-time"),
    ],
)
def test_a_malformed_hf_row_says_what_is_wrong(change, message):
    row = {"arxiv_id": "2512.24880", "title": "T", "daily_date": "2026-01-01", **change}
    with pytest.raises(RecordError, match=message):
        parse_hf(row)


def test_non_objects_are_rejected():
    with pytest.raises(RecordError):
        parse_arxiv(["a list"])  # type: ignore[arg-type]
    with pytest.raises(RecordError):
        parse_hf("text")  # type: ignore[arg-type]


def test_author_strings_and_code_links_are_extracted():
    assert authors_of("A. One, B. Two, and C. Three")[0] == ["A. One", "B. Two", "C. Three"]
    assert authors_of("Solo Author") == (["Solo Author"], [[]])
    assert code_url_in("Code: https://github.com/xuke225/EQ-Net.git{x}") == (
        "https://github.com/xuke225/EQ-Net"
    )
    assert code_url_in("no link here") == ""
