import pytest

from dailypapers.papers.ids import ArxivId, InvalidArxivId, is_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2101.12345", ArxivId("2101.12345", None)),
        ("2101.12345v2", ArxivId("2101.12345", 2)),
        ("0704.0001", ArxivId("0704.0001", None)),
        ("1412.9999v10", ArxivId("1412.9999", 10)),
        ("hep-th/9901001", ArxivId("hep-th/9901001", None)),
        ("hep-th/9901001v3", ArxivId("hep-th/9901001", 3)),
        ("math.AP/0601001", ArxivId("math.AP/0601001", None)),
        ("arXiv:2101.12345v1", ArxivId("2101.12345", 1)),
        ("  2101.12345 ", ArxivId("2101.12345", None)),
        ("2101.12345\n", ArxivId("2101.12345", None)),  # surrounding space is dropped, not kept
        ("https://arxiv.org/abs/2101.12345v2", ArxivId("2101.12345", 2)),
        ("https://arxiv.org/pdf/2101.12345.pdf", ArxivId("2101.12345", None)),
    ],
)
def test_it_accepts_real_identifiers(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2113.12345", "month"),
        ("2100.12345", "month"),
        ("0612.1234", "April 2007"),
        ("2101.1234", "5 digits"),
        ("1401.12345", "4 digits"),
        (
            "\uff12\uff11\uff10\uff11.\uff11\uff12\uff13\uff14\uff15",
            "not an arXiv id",
        ),  # fullwidth: \d
        ("2101.12345v0", "not an arXiv id"),
        ("2101.12345v", "not an arXiv id"),
        ("hep-th/9913001", "month"),
        ("2101.00000", "zero"),
        ("hep-th/9901000", "zero"),
        ("2101.\n12345", "not an arXiv id"),
        ("hep-th/0801001", "1991"),
        ("HEP-TH/9901001", "not an arXiv id"),
        ("", "not an arXiv id"),
        ("2101.12345; DROP TABLE", "not an arXiv id"),
        ("x" * 10_000, "too long"),
    ],
)
def test_it_rejects_malformed_identifiers_with_a_reason(text, reason):
    with pytest.raises(InvalidArxivId, match=reason):
        parse_arxiv_id(text)


def test_it_rejects_non_text():
    assert not is_arxiv_id(None)  # type: ignore[arg-type]
    assert is_arxiv_id("2401.00048")
