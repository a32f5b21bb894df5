"""The JSON formats a paper record comes in, each turned into a `PaperRecord` or a
`RecordError` that says what is wrong (the checks are `papers/records.py`'s).

Formats:
- `arxiv`: arXiv metadata JSONL as in `shared/data/arxiv-daily` (`id`, `title`, `abstract`,
  `authors` list, `categories` list, `listed_date`, ...), and the Kaggle/OAI snapshot
  (`arxiv-metadata-oai-snapshot.json`: `authors` string, `categories` space-separated, `versions`).
- `hf`: Hugging Face daily papers, an `/api/daily_papers` item (`{"paper": {...}, ...}`) or the
  flattened rows of `shared/data/hf-daily-papers` (`arxiv_id`, `daily_date`, `upvotes`, ...).
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from typing import Any

from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.records import (
    MAX_COUNT,
    PaperRecord,
    RecordError,
    categories_of,
    check_moment,
    check_version,
    clean,
    prose,
)
from dailypapers.papers.text import parse_authors, tex_to_unicode

GITHUB_URL = re.compile(r"https?://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def _required_text(obj: dict, key: str) -> str:
    value = clean(obj.get(key))
    if not value:
        raise RecordError(f"missing {key!r}")
    return value


def _arxiv_id(value: Any) -> tuple[str, int | None]:
    if not isinstance(value, str) or not value:
        raise RecordError("missing arXiv id")
    try:
        parsed = parse_arxiv_id(clean(value))
    except InvalidArxivId as exc:
        raise RecordError(str(exc)) from None
    return parsed.id, check_version(parsed.version)


def _date(value: Any, key: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(f"{key!r} must be a date string")
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        raise RecordError(f"{key!r}={value[:40]!r} is not a YYYY-MM-DD date") from None
    check_moment(day, repr(key))
    return day


def _datetime(value: Any, key: str) -> dt.datetime | None:
    """ISO 8601 (`2026-01-01T00:00:00.000Z`, a bare date) or RFC 2822 (arXiv's versions)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(f"{key!r} must be a date-time string")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, OverflowError):
            raise RecordError(f"{key!r}={value[:40]!r} is not a date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    check_moment(parsed, repr(key))
    return parsed


def _count(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise RecordError(f"{key!r} must be an integer from 0 to {MAX_COUNT}")
    return value


def _url(value: Any, key: str) -> str:
    text = clean(value)
    if text and not text.startswith(("https://", "http://")):
        raise RecordError(f"{key!r}={text[:60]!r} is not an http(s) URL")
    return text[:500]


def _str_list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RecordError(f"{key!r} must be a list of strings")
    return [cleaned for item in value if (cleaned := clean(item))]


def authors_of(value: Any, key: str = "authors") -> tuple[list[str], list[list[str]]]:
    """Names and per-author affiliations from an arXiv author line or a list of names."""
    if isinstance(value, str):
        pairs = parse_authors(value)
        return [name for name, _ in pairs], [affiliations for _, affiliations in pairs]
    return [tex_to_unicode(name) for name in _str_list(value, key)], []


def code_url_in(*texts: str) -> str:
    """The first GitHub repository linked from an abstract or comment, if any."""
    for text in texts:
        match = GITHUB_URL.search(text or "")
        if match:
            url = match.group(0).rstrip(".")
            return url.removesuffix(".git")
    return ""


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def parse_arxiv(obj: object) -> PaperRecord:
    """A record of arXiv metadata JSONL (`shared/data/arxiv-daily` or the Kaggle snapshot)."""
    if not isinstance(obj, dict):
        raise RecordError("expected a JSON object")
    arxiv_id, version = _arxiv_id(obj.get("id"))
    authors, affiliations = authors_of(obj.get("authors"))
    categories = obj.get("categories")
    if isinstance(categories, str):
        categories = categories.split()
    primary = clean(obj.get("primary_category"))
    categories = categories_of(_str_list(categories, "categories"), strict=True, primary=primary)

    versions: list[tuple[int, dt.datetime | None]] = []
    for item in obj.get("versions") or []:
        if not isinstance(item, dict) or not re.fullmatch(
            r"v[1-9][0-9]*", str(item.get("version"))
        ):
            raise RecordError("'versions' items must look like {'version': 'v1', 'created': ...}")
        number = check_version(int(item["version"][1:]))
        versions.append((number, _datetime(item.get("created"), "created")))
    versions.sort()
    if versions and version is None:
        version = versions[-1][0]

    listed = _date(obj.get("listed_date"), "listed_date")
    published = versions[0][1] if versions else _datetime(obj.get("published"), "published")
    revised = versions[-1][1] if versions else _datetime(obj.get("updated"), "updated")
    abstract = prose(obj.get("abstract"))
    comment = clean(obj.get("comment") or obj.get("comments"))
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=tex_to_unicode(_required_text(obj, "title")),
        abstract=abstract,
        authors=authors,
        affiliations=affiliations,
        categories=categories,
        published_at=published,
        revised_at=revised,
        comment=comment,
        journal_ref=clean(obj.get("journal-ref") or obj.get("journal_ref")),
        doi=clean(obj.get("doi"))[:200],
        code_url=code_url_in(abstract, comment),
        versions=versions,
        listed_on=listed,
    )


def parse_hf(obj: object) -> PaperRecord:
    """A Hugging Face daily paper: an `/api/daily_papers` item or a flattened row."""
    if not isinstance(obj, dict):
        raise RecordError("expected a JSON object")
    if isinstance(obj.get("paper"), dict):
        return _parse_hf_api(obj)
    return _parse_hf_flat(obj)


def _parse_hf_flat(obj: dict) -> PaperRecord:
    arxiv_id, version = _arxiv_id(obj.get("arxiv_id"))
    day = _date(obj.get("daily_date"), "daily_date")
    submitted = _datetime(obj.get("submitted_on_daily_at"), "submitted_on_daily_at")
    if day is None and submitted is not None:
        day = submitted.date()
    abstract = prose(obj.get("abstract"))
    authors, affiliations = authors_of(obj.get("authors"))
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=tex_to_unicode(_required_text(obj, "title")),
        abstract=abstract,
        authors=authors,
        affiliations=affiliations,
        categories=categories_of(_str_list(obj.get("categories"), "categories"), strict=True),
        published_at=_datetime(obj.get("published_at"), "published_at"),
        code_url=_url(obj.get("github_repo"), "github_repo") or code_url_in(abstract),
        project_url=_url(obj.get("project_page"), "project_page"),
        organization=clean(obj.get("institution"))[:200],
        ai_keywords=_str_list(obj.get("ai_keywords"), "ai_keywords"),
        feed_day=day,
        feed_source="hf" if day else "",
        submitted_at=submitted or (_start_of(day) if day else None),
        upvotes=_count(obj.get("upvotes"), "upvotes"),
        num_comments=_count(obj.get("num_comments"), "num_comments"),
    )


def _parse_hf_api(item: dict) -> PaperRecord:
    paper = item["paper"]
    arxiv_id, version = _arxiv_id(paper.get("id"))
    authors = []
    for author in paper.get("authors") or []:
        if not isinstance(author, dict) or not isinstance(author.get("name"), str):
            raise RecordError("'paper.authors' items must be objects with a 'name'")
        if not author.get("hidden"):
            authors.append(tex_to_unicode(clean(author["name"])))
    submitted = _datetime(paper.get("submittedOnDailyAt"), "paper.submittedOnDailyAt")
    submitter = item.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
    submitter_name = ""
    if isinstance(submitter, dict):
        submitter_name = clean(submitter.get("name") or submitter.get("user"))[:150]
    organization = paper.get("organization") or item.get("organization") or {}
    stars = paper.get("githubStars")
    abstract = prose(paper.get("summary") or item.get("summary"))
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=prose(paper.get("title") or item.get("title")) or _required_text(paper, "title"),
        abstract=abstract,
        authors=authors,
        published_at=_datetime(paper.get("publishedAt"), "paper.publishedAt"),
        code_url=_url(paper.get("githubRepo"), "paper.githubRepo") or code_url_in(abstract),
        project_url=_url(paper.get("projectPage"), "paper.projectPage"),
        github_stars=_count(stars, "paper.githubStars"),
        organization=clean(organization.get("fullname") or organization.get("name"))[:200]
        if isinstance(organization, dict)
        else "",
        ai_summary=prose(paper.get("ai_summary")),
        ai_keywords=_str_list(paper.get("ai_keywords"), "paper.ai_keywords"),
        feed_day=submitted.date() if submitted else None,
        feed_source="hf" if submitted else "",
        submitted_at=submitted,
        submitter_name=submitter_name,
        upvotes=_count(paper.get("upvotes"), "paper.upvotes"),
        num_comments=_count(item.get("numComments"), "numComments"),
    )


def parse_demo(obj: object) -> PaperRecord:
    """A record of the shipped demo set: the HF shape, arXiv's, or a paper known by title alone."""
    if isinstance(obj, dict) and obj.get("id") and "listed_date" in obj:
        return parse_arxiv(obj)
    if isinstance(obj, dict) and not obj.get("arxiv_id") and not obj.get("paper"):
        abstract = prose(obj.get("abstract"))
        authors, affiliations = authors_of(obj.get("authors"))
        return PaperRecord(
            title=tex_to_unicode(_required_text(obj, "title")),
            abstract=abstract,
            authors=authors,
            affiliations=affiliations,
            code_url=code_url_in(abstract),
        )
    return parse_hf(obj)


PARSERS = {"arxiv": parse_arxiv, "hf": parse_hf, "demo": parse_demo}
