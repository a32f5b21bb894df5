"""What a paper record is (`PaperRecord`: what every source produces and the store writes), and
how its values are checked, so a bad record is reported and skipped rather than failing its whole
batch in the database: text loses control characters and lone surrogates (papers/text.py),
categories must be arXiv's (at most 32 characters), versions and counts must fit their columns,
dates must be real and not in the future.

The sources' parsers live with ingestion: the JSON formats in `ingest/formats.py`, arXiv's XML
(API, OAI-PMH, listings) in `ingest/parse.py`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dailypapers.papers.text import one_line, tex_to_unicode

# An arXiv category: `cs.LG`, `hep-th`, `math-ph`, `physics.chem-ph`, `q-bio.NC`, `alg-geom`.
CATEGORY = re.compile(r"[a-z][a-z-]{0,15}(\.[A-Za-z][A-Za-z-]{0,15})?")
MAX_VERSION = 32_767  # PositiveSmallIntegerField
MAX_COUNT = 2**31 - 1  # PositiveIntegerField
FIRST_YEAR = 1986


class RecordError(ValueError):
    """One record cannot be imported; the message says why."""


@dataclass
class PaperRecord:
    title: str
    arxiv_id: str | None = None
    version: int | None = None
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    published_at: dt.datetime | None = None
    revised_at: dt.datetime | None = None
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    code_url: str = ""
    project_url: str = ""
    github_stars: int | None = None
    organization: str = ""
    ai_summary: str = ""
    ai_keywords: list[str] = field(default_factory=list)
    versions: list[tuple[int, dt.datetime | None]] = field(default_factory=list)
    withdrawn: bool | None = None
    # Per author, in the order of `authors`: their affiliations (an empty list when unknown).
    affiliations: list[list[str]] = field(default_factory=list)
    # The day arXiv announced it, when the source says (a listing, a dump's `listed_date`).
    listed_on: dt.date | None = None
    # Counts kept on another site (Hugging Face), stored apart from the ones made here.
    upvotes: int | None = None
    num_comments: int | None = None
    # The Daily feed: set only by curated sources (or an import the operator puts in the feed):
    # the day the paper entered it, how, and who submitted it there.
    feed_day: dt.date | None = None
    feed_source: str = ""
    submitted_at: dt.datetime | None = None
    submitter_name: str = ""

    @property
    def primary_category(self) -> str:
        return self.categories[0] if self.categories else ""


def clean(text: Any) -> str:
    """One line of text, without control characters or lone surrogates."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise RecordError(f"expected text, got {type(text).__name__}")
    return one_line(text)


def prose(text: Any) -> str:
    """A title or an abstract: `clean`, with TeX accents and escapes as Unicode."""
    return tex_to_unicode(clean(text))


_Version = TypeVar("_Version", bound=int | None)


def check_version(version: _Version, what: str = "version") -> _Version:
    if version is not None and not 1 <= version <= MAX_VERSION:
        raise RecordError(f"{what} {version} is out of range (1 to {MAX_VERSION})")
    return version


def categories_of(values: list[str], *, strict: bool, primary: str = "") -> list[str]:
    """arXiv categories in order (`primary` first), once each; anything else is an error, or left
    out (`strict` false: arXiv's own feeds put MSC and ACM codes such as `60G35` among them)."""
    kept = []
    for value in [primary, *values] if primary else values:
        if CATEGORY.fullmatch(value) and len(value) <= 32:
            kept.append(value)
        elif strict:
            raise RecordError(f"{value[:40]!r} is not an arXiv category (e.g. cs.LG, hep-th)")
    return list(dict.fromkeys(kept))


def check_moment(when: dt.date | dt.datetime | None, what: str) -> None:
    """A date is from arXiv's time (1986 on) and not in the future (a day's slack)."""
    if when is None:
        return
    day = when.astimezone(dt.UTC).date() if isinstance(when, dt.datetime) else when
    latest = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    if day.year < FIRST_YEAR or day > latest:
        raise RecordError(f"{what} {day.isoformat()} is out of range ({FIRST_YEAR} to today)")
