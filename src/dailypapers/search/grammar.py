"""The search box's language, parsed by us so that no input reaches a query parser raw.

    diffusion models          words: papers with any of them rank, more matches rank higher
    "flow matching"           a phrase: must appear as written
    -survey  -"related work"  exclusions
    author:hinton             author name contains (author:"geoffrey hinton" for a full name)
    body:"load balancing"     in the paper's full text (papers whose PDF was fetched)
    category:cs.LG  cat:cs.LG an arXiv category
    year:2024  year:2020..2023  year:>=2021  year:<2019   submission year ranges
    since:7d  since:2w  since:3m  since:1y  since:2026-05-01  days:30   recent papers only

Anything else is a word. The parser never raises: control characters are dropped, an unclosed quote
runs to the end, unknown `field:` prefixes are words, and the input is cut at MAX_CHARS.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

MAX_CHARS = 500
MAX_PARTS = 32
YEAR_RANGE = re.compile(r"(?P<a>\d{4})?\.\.(?P<b>\d{4})?")
YEAR_CMP = re.compile(r"(?P<op>>=|<=|>|<)(?P<y>\d{4})")
TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))'
)
FIELDS = {
    "author": "author",
    "au": "author",
    "category": "category",
    "cat": "category",
    "year": "year",
    "body": "body",
    "since": "since",
    "days": "days",
    "fulltext": "body",
}


@dataclass
class Query:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    since: dt.date | None = None  # first version on or after this day

    @property
    def empty(self) -> bool:
        return not (
            self.words or self.phrases or self.authors or self.categories or self.body
        ) and (self.year_from is None and self.year_to is None and self.since is None)

    @property
    def text(self) -> str:
        """The free text (words and phrases), for the semantic leg and highlighting."""
        return " ".join([*self.phrases, *self.body, *self.words])


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return text[:MAX_CHARS]


def _year(value: str, query: Query) -> bool:
    if value.isdigit() and len(value) == 4:
        query.year_from = query.year_to = int(value)
        return True
    match = YEAR_RANGE.fullmatch(value)
    if match and (match["a"] or match["b"]):
        query.year_from = int(match["a"]) if match["a"] else None
        query.year_to = int(match["b"]) if match["b"] else None
        if query.year_from and query.year_to and query.year_from > query.year_to:
            query.year_from, query.year_to = query.year_to, query.year_from
        return True
    match = YEAR_CMP.fullmatch(value)
    if match:
        year, op = int(match["y"]), match["op"]
        if op in (">=", ">"):
            query.year_from = year + (op == ">")
        else:
            query.year_to = year - (op == "<")
        return True
    return False


SINCE = re.compile(r"(?P<n>\d{1,5})(?P<unit>[dwmy])", re.I)
UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def _since(value: str, days_only: bool, today: dt.date) -> dt.date | None:
    """`7d`, `2w`, `3m`, `1y` or an ISO day (`since:`), or a number of days (`days:`)."""
    if days_only:
        return (
            today - dt.timedelta(days=int(value)) if value.isdigit() and len(value) <= 5 else None
        )
    match = SINCE.fullmatch(value)
    if match:
        try:
            return today - dt.timedelta(days=int(match["n"]) * UNIT_DAYS[match["unit"].lower()])
        except OverflowError:  # since:99999y
            return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if dt.date(1900, 1, 1) <= day <= today + dt.timedelta(days=1) else None


def parse(text: str, today: dt.date | None = None) -> Query:
    query = Query()
    for count, match in enumerate(TOKEN.finditer(_clean(text or ""))):
        if count >= MAX_PARTS:
            break
        negative = bool(match["neg"])
        name = FIELDS.get((match["field"] or "").lower())
        value = (match["phrase"] if match["phrase"] is not None else match["word"] or "").strip()
        if not value:
            continue
        if match["field"] and not name:  # an unknown field: the whole thing is a word
            value = f"{match['field']}:{value}"
        if name == "author" and not negative:
            query.authors.append(value)
        elif name == "body" and not negative:
            query.body.append(value)
        elif name == "category" and not negative:
            query.categories.append(value)
        elif name == "year" and not negative and _year(value, query):
            pass
        elif name in ("since", "days") and not negative:
            since = _since(value, name == "days", today or dt.date.today())
            if since is not None:
                query.since = since
            else:
                query.words.append(f"{match['field']}:{value}")
        elif negative:
            query.excluded.append(value)
        elif match["phrase"] is not None and " " in value:
            query.phrases.append(value)
        else:
            query.words.append(value)
    return query
