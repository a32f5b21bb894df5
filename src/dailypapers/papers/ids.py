"""Strict arXiv identifiers: the one gate every id passes before it enters the system.

New style (April 2007 on): `YYMM.NNNN` up to 1412, `YYMM.NNNNN` from 1501, optional `vN`.
Old style (until March 2007): `archive[.SC]/YYMMNNN`, e.g. `hep-th/9901001`, `math.AP/0601001`.
Only ASCII digits count as digits (Python's `\\d` also matches other scripts' digits).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

NEW_STYLE = re.compile(
    r"(?P<yy>[0-9]{2})(?P<mm>[0-9]{2})\.(?P<num>[0-9]{4,5})(?:v(?P<v>[1-9][0-9]{0,3}))?"
)
OLD_STYLE = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.(?P<subject>[A-Z]{2}))?/"
    r"(?P<yy>[0-9]{2})(?P<mm>[0-9]{2})(?P<num>[0-9]{3})(?:v(?P<v>[1-9][0-9]{0,3}))?"
)
URL_PREFIX = re.compile(r"(?i)^(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)")


class InvalidArxivId(ValueError):
    """The text is not an arXiv identifier."""


class ArxivId(NamedTuple):
    id: str  # without version
    version: int | None

    def __str__(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse `2101.12345v2`, `hep-th/9901001`, `arXiv:...` or an arxiv.org abs/pdf URL.

    Raises InvalidArxivId with a message fit for the user when the text is anything else.
    """
    if not isinstance(text, str):
        raise InvalidArxivId("an arXiv id must be text")
    candidate = URL_PREFIX.sub("", text.strip())
    if candidate.endswith(".pdf"):
        candidate = candidate[:-4]
    if len(candidate) > 40:
        raise InvalidArxivId("too long to be an arXiv id")
    match = NEW_STYLE.fullmatch(candidate)
    if match:
        yymm = int(match["yy"] + match["mm"])
        if not 1 <= int(match["mm"]) <= 12:
            raise InvalidArxivId(f"{text!r}: the month must be 01 to 12")
        if yymm < 704:
            raise InvalidArxivId(f"{text!r}: new-style ids start in April 2007 (0704)")
        digits = len(match["num"])
        if (yymm <= 1412 and digits != 4) or (yymm >= 1501 and digits != 5):
            raise InvalidArxivId(
                f"{text!r}: ids of {match['yy']}{match['mm']} have "
                f"{4 if yymm <= 1412 else 5} digits after the dot"
            )
        if int(match["num"]) == 0:
            raise InvalidArxivId(f"{text!r}: the number after the dot cannot be zero")
        base = f"{match['yy']}{match['mm']}.{match['num']}"
        return ArxivId(base, int(match["v"]) if match["v"] else None)
    match = OLD_STYLE.fullmatch(candidate)
    if match:
        yy, mm = int(match["yy"]), int(match["mm"])
        if not 1 <= mm <= 12:
            raise InvalidArxivId(f"{text!r}: the month must be 01 to 12")
        if not (yy >= 91 or yy <= 7) or (yy == 7 and mm > 3):
            raise InvalidArxivId(f"{text!r}: old-style ids run from 1991 to March 2007")
        if int(match["num"]) == 0:
            raise InvalidArxivId(f"{text!r}: the paper number cannot be zero")
        subject = f".{match['subject']}" if match["subject"] else ""
        base = f"{match['archive']}{subject}/{match['yy']}{match['mm']}{match['num']}"
        return ArxivId(base, int(match["v"]) if match["v"] else None)
    raise InvalidArxivId(
        f"{text[:60]!r} is not an arXiv id "
        "(expected e.g. 2101.12345, 2101.12345v2 or hep-th/9901001)"
    )


def is_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True


def id_month(text: str) -> dt.date | None:
    """The first day of the month an arXiv id encodes (`2605.00001`: 2026-05-01;
    `hep-th/9901001`: 1999-01-01), or None for what is not an arXiv id."""
    try:
        base = parse_arxiv_id(text).id
    except InvalidArxivId:
        return None
    yymm = base.rsplit("/", 1)[-1][:4]
    year, month = int(yymm[:2]), int(yymm[2:])
    return dt.date(1900 + year if year >= 91 else 2000 + year, month, 1)
