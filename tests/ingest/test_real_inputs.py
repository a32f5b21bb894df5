"""arXiv as it really answers (tests/fixtures/arxiv/real/, provenance in its README): author lines
with affiliations and TeX, real OAI-PMH pages, the listing in both flavours, a real API answer;
and the failures arXiv's services really produce (empty pages, 400 errors, bare OAI errors)."""

import datetime as dt
import gzip
import json
import re
from pathlib import Path

import pytest

from dailypapers.ingest.harvest import IngestError, run_due, run_source
from dailypapers.ingest.models import IngestState
from dailypapers.ingest.parse import ApiError, parse_api, parse_listing, parse_oai
from dailypapers.ingest.submit import SubmitError, submit_paper
from dailypapers.papers.models import Paper
from dailypapers.papers.text import parse_authors, tex_to_unicode
from tests.ingest.test_ingest import OAI_FIRST, xml
from tests.replay_server import Reply

REAL = Path(__file__).parents[1] / "fixtures" / "arxiv" / "real"
with gzip.open(REAL / "author_lines.jsonl.gz", "rt", encoding="utf-8") as lines:
    AUTHOR_LINES = [json.loads(line) for line in lines]
BY_ID = {row["id"]: row for row in AUTHOR_LINES}


def real(name: str) -> bytes:
    return (REAL / name).read_bytes()


def loose(pairs):
    """Names and affiliations compared without spaces and dots (arXiv writes `S.M.` and
    `S. M.` alike)."""
    squeeze = lambda text: re.sub(r"[\s.]", "", text)  # noqa: E731
    return [(squeeze(name), [squeeze(a) for a in affiliations]) for name, affiliations in pairs]


# --- author lines ------------------------------------------------------------------------------


def test_1131_real_author_lines_read_as_arxiv_reads_them():
    assert len(AUTHOR_LINES) == 1131
    differing = []
    for row in AUTHOR_LINES:
        ours = parse_authors(row["authors_line"])
        if "ours" in row:  # where we read better than arXiv's reference parser, reviewed
            assert [list(pair) for pair in ours] == row["ours"], row["id"]
            differing.append(row["id"])
        else:
            assert loose(ours) == loose(row["arxiv_reference"]), row["id"]
        for name, affiliations in ours:
            # Never an invented author: no parenthesis, no bare affiliation fragment.
            assert name and "(" not in name and ")" not in name, (row["id"], name)
            assert all(a and a.count("(") == a.count(")") for a in affiliations), row["id"]
    assert len(differing) == 25


@pytest.mark.parametrize(
    "line, expected",
    [
        (  # 0704.0025: numbered affiliations, "1 and 2"
            BY_ID["0704.0025"]["authors_line"],
            [
                (
                    "A. S. Mishchenko",
                    [
                        "CREST, Japan Science and Technology Agency",
                        "Russian Research Centre ``Kurchatov Institute''",
                    ],
                ),
                (
                    "N. Nagaosa",
                    ["CREST, Japan Science and Technology Agency", "The University of Tokyo"],
                ),
            ],
        ),
        (  # 0704.0177: TeX in affiliations, "and" before the last author
            BY_ID["0704.0177"]["authors_line"],
            None,
        ),
        ("C. Bal\\'azs, E. L. Berger, P. M. Nadolsky and C.-P. Yuan", None),
        ("Name (Affiliation, City), Other (Aff) and Third (Aff1, Aff2)", None),
        ('Val\\\'erie R{\\"u}bhausen, Aleksandra Pi\\v{z}urica (Universit\\"at Wien)', None),
    ],
)
def test_the_forms_the_issue_names(line, expected):
    parsed = parse_authors(line)
    if expected is not None:
        assert parsed == expected
    names = [name for name, _ in parsed]
    affiliations = [a for _, own in parsed for a in own]
    assert not any(phantom in names for phantom in ("Cambridge)", "City)", "Aff2)", "(Aff"))
    if line.startswith("C. Bal"):
        assert names == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    if line.startswith("Name"):
        assert parsed == [
            ("Name", ["Affiliation, City"]),
            ("Other", ["Aff"]),
            ("Third", ["Aff1, Aff2"]),
        ]
    if line.startswith("Val"):
        assert names == ["Valérie Rübhausen", "Aleksandra Pižurica"]
        assert affiliations == ["Universität Wien", "Universität Wien"]  # shared, as arXiv reads it
    if "Greilich" in line:
        assert names[0] == "A. Greilich" and names[-1] == "M. Bayer" and len(names) == 10
        assert parsed[0][1] == ["Universität Dortmund, Germany"]
        assert parsed[7][1] == ["Ruhr-Universität Bochum, Germany"]


def test_tex_becomes_unicode_and_math_stays_as_written():
    assert tex_to_unicode('Reissner--Nordstr\\"{o}m black hole') == "Reissner--Nordström black hole"
    assert tex_to_unicode("{\\o}ystein \\AA{}ngstr{\\\"o}m, G{\\'\\i}slason, \\ss") == (
        "øystein Ångström, Gíslason, ß"
    )
    kept = "an $O(\\sqrt{n})$ bound, $\\alpha\\'x$ and \\ours{} stay"
    assert tex_to_unicode(kept) == kept
    assert tex_to_unicode("\\textbf{Caf\\'e}: 50\\% \\& more") == "Café: 50% & more"
    assert tex_to_unicode("no backslash: 50% ~10x {braces}") == "no backslash: 50% ~10x {braces}"


# --- OAI-PMH ------------------------------------------------------------------------------------


def test_a_real_arxivraw_page_keeps_authors_affiliations_and_unicode():
    page = parse_oai(real("oai_arxivraw_hep-th.xml"))
    assert (len(page.records), page.problems, page.complete_size) == (44, [], 44)
    by_id = {r.arxiv_id: r for r in page.records}
    for record in page.records:
        expected = BY_ID[record.arxiv_id]
        wanted = expected.get("ours") or expected["arxiv_reference"]
        assert loose(zip(record.authors, record.affiliations, strict=True)) == loose(wanted)
    balazs = by_id["0704.0001"]
    assert (
        balazs.title
        == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert balazs.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert (balazs.version, [v for v, _ in balazs.versions]) == (2, [1, 2])
    assert balazs.published_at == dt.datetime(2007, 4, 2, 19, 18, 42, tzinfo=dt.UTC)
    assert balazs.doi == "10.1103/PhysRevD.76.013009"
    assert balazs.journal_ref == "Phys.Rev.D76:013009,2007"
    assert balazs.categories == ["hep-ph"]
    assert balazs.abstract.startswith("A fully differential calculation in perturbative")
    mishchenko = by_id["0704.0025"]
    assert mishchenko.affiliations[1] == [
        "CREST, Japan Science and Technology Agency",
        "The University of Tokyo",
    ]
    old = by_id["acc-phys/9411001"]
    assert old.title and old.categories[0] == "acc-phys"
    babar = by_id["0704.0020"]
    assert babar.authors == ["The BABAR Collaboration", "B. Aubert"]


@pytest.mark.django_db
def test_a_real_arxivraw_harvest_stores_affiliations_and_an_organization(arxiv, polite):
    arxiv.route("/oai", Reply(200, real("oai_arxivraw_hep-th.xml")), **OAI_FIRST)
    result = run_source("oaipmh", "hep-th", client=polite, from_date=dt.date(2024, 1, 1))
    assert (result.fetched, result.counts.new, result.problems) == (44, 44, 0)
    paper = Paper.objects.get(arxiv_id="0704.0128")
    assert paper.authors[0] == "P. A. Evans" and len(paper.authors) == 15
    assert paper.affiliations[0] == ["University of Leicester"]
    assert paper.affiliations[-1] == [
        "INAF-Osservatorio Astronomico di Brera",
        "Universita' degli Studi di Milano",
    ]
    assert paper.organization == "University of Leicester"  # most of its authors'
    assert len(paper.affiliations) == len(paper.authors)
    # Every author of every paper is one of arXiv's; none was made from an affiliation.
    for stored in Paper.objects.all():
        assert all("(" not in name and ")" not in name for name in stored.authors)


def test_real_oai_pages_in_the_arxiv_format():
    hep_th = parse_oai(real("oai_arxiv_hep-th_2017.xml"))
    assert [r.arxiv_id for r in hep_th.records] == ["1412.8323", "1507.07790", "1607.01710"]
    first = hep_th.records[0]
    assert first.authors == ["Philipp A Hoehn"]
    assert first.title == (
        "Toolbox for reconstructing quantum theory from rules on information acquisition"
    )
    assert first.categories == [
        "quant-ph", "gr-qc", "hep-th", "math-ph", "math.MP", "physics.hist-ph",
    ]  # fmt: skip
    assert first.published_at == dt.datetime(2014, 12, 29, tzinfo=dt.UTC)
    third = hep_th.records[2]
    assert third.authors[3] == "A. de Souza Dutra" and third.doi == "10.1002/andp.201700188"
    hep_ex = parse_oai(real("oai_arxiv_hep-ex_2017.xml"))
    assert len(hep_ex.records) == 3 and hep_ex.problems == []


def test_a_bare_oai_error_document_keeps_its_code():
    page = parse_oai(b'<error code="badArgument">Illegal date format: 2026-13-01</error>')
    assert (page.error_code, page.error_message) == (
        "badArgument",
        "Illegal date format: 2026-13-01",
    )
    wrapped = parse_oai(
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>'
        b'2026-05-28T00:00:00Z</responseDate><error code="badResumptionToken">'
        b"expired</error></OAI-PMH>"
    )
    assert wrapped.error_code == "badResumptionToken"


# --- the daily listing, both flavours -----------------------------------------------------------


def test_the_real_listing_reads_the_same_in_rss_and_atom():
    rss = parse_listing(real("listing_hep-th.rss.xml"))
    atom = parse_listing(real("listing_hep-th.atom.xml"))
    assert len(rss) == len(atom) == 44
    for one, other in zip(rss, atom, strict=True):
        a, b = one.record, other.record
        assert (a.arxiv_id, a.version, a.title, a.abstract) == (
            b.arxiv_id,
            b.version,
            b.title,
            b.abstract,
        )
        assert (a.authors, a.affiliations, a.categories) == (
            b.authors,
            b.affiliations,
            b.categories,
        )
        assert one.announce_type == other.announce_type
        assert a.listed_on == b.listed_on == dt.date(2024, 1, 10)
    by_id = {item.record.arxiv_id: item for item in rss}
    golse = next(i.record for i in rss if i.record.authors[0].startswith("François"))
    assert golse.authors[0] == "François Golse"
    assert golse.affiliations[0] == ["CMLS-EcolePolytechnique, LJLL"]
    mishchenko = by_id["0704.0025"].record
    # The listing writes "Name (Aff1, Aff2)": one author, never "Aff2)" as another.
    assert mishchenko.authors == ["A. S. Mishchenko", "N. Nagaosa"]
    assert {i.announce_type for i in rss} == {"new", "cross", "replace"}
    assert by_id["0704.0001"].record.doi == "10.1103/PhysRevD.76.013009"
    assert by_id["0704.0001"].record.journal_ref == "Phys.Rev.D76:013009,2007"


@pytest.mark.django_db
def test_the_listing_source_takes_the_atom_flavour(arxiv, polite, settings):
    arxiv.route("/rss/hep-th", Reply(200, real("listing_hep-th.atom.xml")))
    result = run_source("listing", "hep-th", client=polite)
    assert result.fetched == 44
    new = Paper.objects.filter(listed_on=dt.date(2024, 1, 10))
    replaced = Paper.objects.filter(listed_on__isnull=True)
    assert new.count() + replaced.count() == 44 and replaced.count() > 0


# --- the Atom API -------------------------------------------------------------------------------


def test_a_real_api_answer_leaves_msc_codes_out_of_the_categories():
    page = parse_api(real("api_search_adiabatic.xml"))
    assert page.total == 16390 and len(page.records) == 4
    by_id = {r.arxiv_id: r for r in page.records}
    assert by_id["physics/0203049"].authors == ["Ignacio R. Solá", "Vladimir S. Malinovsky"]
    assert by_id["1204.0344"].categories == ["math-ph", "math.MP", "quant-ph"]  # not "81V10, 81Q99"
    assert by_id["0901.4954"].categories == ["math.PR"]  # not "60G35"
    shi = by_id["quant-ph/0304130"]
    assert (shi.version, shi.journal_ref, shi.doi) == (
        2,
        "Phy. Rev. A 69, 024301 (2004)",
        "10.1103/PhysRevA.69.024301",
    )
    assert shi.title == (
        "Perturbative Formulation and Non-adiabatic Corrections in Adiabatic Quantum Computing "
        "Schemes"
    )


def test_api_affiliations_are_kept():
    data = real("api_search_adiabatic.xml").replace(
        b"<name>Yu Shi</name>",
        b'<name>Yu Shi</name><arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">'
        b"Universit\\'e Paris</arxiv:affiliation>",
    )
    shi = {r.arxiv_id: r for r in parse_api(data).records}["quant-ph/0304130"]
    assert shi.affiliations == [["Université Paris"], []]


@pytest.mark.django_db
def test_an_id_arxiv_refuses_with_400_gets_arxiv_s_message(arxiv, polite):
    arxiv.route("/api/query", Reply(400, xml("api_error.xml").body), id_list="2605.09999")
    with pytest.raises(SubmitError, match="arXiv refused the request: incorrect id format"):
        submit_paper("2605.09999", client=polite)
    with pytest.raises(ApiError):
        parse_api(xml("api_error.xml").body)


@pytest.mark.django_db
def test_the_first_api_run_needs_no_cursor_and_no_from_date(arxiv, polite):
    """The README's own example crashed: no cursor, no --from (a datetime compared with None)."""
    arxiv.route("/api/query", xml("api_cat_page1.xml"), start="0")
    arxiv.route("/api/query", xml("api_cat_page2.xml"), start="2")
    result = run_source("arxiv-api", "cs.LG", client=polite, max_results=4)
    assert result.fetched == 4
    state = IngestState.objects.get(name="arxiv-api:cs.LG")
    assert state.cursor == {"newest": "2026-05-27T17:40:00+00:00"} and state.failures == 0


@pytest.mark.django_db
def test_an_empty_page_in_the_middle_is_asked_again_then_fails_without_moving_the_cursor(
    arxiv, polite
):
    arxiv.route("/api/query", xml("api_cat_page1.xml"), start="0")
    empty = xml("api_cat_page2.xml").body
    empty = re.sub(rb"<entry>.*</entry>", b"", empty, flags=re.DOTALL)
    arxiv.route("/api/query", Reply(200, empty), start="2")
    with pytest.raises(IngestError, match="empty pages at start=2 of 4"):
        run_source("arxiv-api", "cs.LG", client=polite, max_results=4)
    assert len([h for h in arxiv.hits if h.query.get("start") == "2"]) == 4  # asked 4 times
    state = IngestState.objects.get(name="arxiv-api:cs.LG")
    assert state.cursor == {} and state.failures == 1 and "empty pages" in state.last_error
    # When arXiv answers again, the next run fetches the gap.
    arxiv.route("/api/query", xml("api_cat_page2.xml"), start="2")
    result = run_source("arxiv-api", "cs.LG", client=polite, max_results=4)
    assert result.fetched == 4


@pytest.mark.django_db
def test_any_exception_of_one_source_is_recorded_and_the_others_go_on(
    arxiv, polite, settings, monkeypatch
):
    from dailypapers.ingest import harvest

    settings.INGEST_CATEGORIES = ["cs.CV", "cs.LG"]
    settings.INGEST_SOURCES = ["listing"]
    arxiv.route("/rss/cs.LG", xml("listing_cs.LG.xml"))
    arxiv.route("/rss/cs.CV", xml("listing_cs.LG.xml"))
    real_parse = harvest.parse_listing

    def broken_for_cv(data):
        if b"cs.CV" in arxiv.hits[-1].path.encode():
            raise TypeError("an unexpected bug")
        return real_parse(data)

    monkeypatch.setattr(harvest, "parse_listing", broken_for_cv)
    failures = run_due(polite)
    assert list(failures) == ["listing:cs.CV"] and "unexpected bug" in failures["listing:cs.CV"]
    cv = IngestState.objects.get(name="listing:cs.CV")
    assert cv.failures == 1 and cv.next_run_at > cv.last_run_at
    assert IngestState.objects.get(name="listing:cs.LG").failures == 0
    assert Paper.objects.count() == 4


def test_records_breaking_the_schema_are_left_out_of_their_page():
    page = real("oai_arxivraw_hep-th.xml").replace(b'version="v2"', b'version="v40000"', 1)
    parsed = parse_oai(page)
    assert len(parsed.records) == 43 and len(parsed.problems) == 1
    assert "version 40000 is out of range" in parsed.problems[0]
