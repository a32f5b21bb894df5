"""Parse arXiv's three feeds into PaperRecords: the Atom API, OAI-PMH pages and the daily listing.

Pure functions of the response bytes, so tests run them on real responses without a network
(`tests/fixtures/arxiv/real/`). What real responses carry, and how it is read:
- author lines with affiliations (`A (MIT), B (1) ((1) ETH)`), in arXivRaw and in the listing's
  `dc:creator`: parsed by papers/text.py, never split inside parentheses;
- TeX accents in names, titles and abstracts (`Val\\'erie`): made Unicode, math kept;
- MSC and ACM codes among the API's `<category>` terms (`60G35`): left out;
- the listing in RSS 2.0 (`rss.arxiv.org/rss/...`) and in Atom (`rss.arxiv.org/atom/...`);
- API errors as an Atom error entry (with HTTP 400), OAI-PMH errors as `<error code=...>`, also
  as a bare `<error>` document.
A record that breaks a limit of the schema is left out of its page and reported in
`problems`; the rest of the page is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from lxml import etree

from dailypapers.ingest.formats import code_url_in
from dailypapers.ingest.xmlsafe import XMLError, parse_xml
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.records import (
    PaperRecord,
    RecordError,
    categories_of,
    check_moment,
    check_version,
    clean,
)
from dailypapers.papers.text import parse_authors, tex_to_unicode

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV_ATOM = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
ARXIV_OAI = "{http://arxiv.org/OAI/arXiv/}"
DC = "{http://purl.org/dc/elements/1.1/}"
WITHDRAWN = re.compile(r"\b(withdrawn|withdrawal)\b", re.IGNORECASE)


class FeedFormatError(XMLError):
    """Well-formed XML that is not what the source returns (wrong root, missing ids)."""


class ApiError(Exception):
    """The arXiv API answered with an error entry (e.g. a malformed id)."""


def _text(node: etree._Element | None, path: str) -> str:
    if node is None:
        return ""
    return clean(node.findtext(path) or "")


def _prose(node: etree._Element | None, path: str) -> str:
    return tex_to_unicode(_text(node, path))


def _authored(record: PaperRecord, pairs: list[tuple[str, list[str]]]) -> PaperRecord:
    record.authors = [name for name, _ in pairs]
    record.affiliations = [affiliations for _, affiliations in pairs]
    return record


def _checked(record: PaperRecord) -> PaperRecord:
    check_version(record.version)
    for number, when in record.versions:
        check_version(number)
        check_moment(when, f"version v{number}'s date")
    check_moment(record.published_at, "the first version's date")
    check_moment(record.listed_on, "the announcement day")
    return record


def _iso(value: str, what: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FeedFormatError(f"{what}={value!r} is not an ISO date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _rfc2822(value: str, what: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        raise FeedFormatError(f"{what}={value!r} is not an RFC 2822 date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _id(text: str, what: str) -> tuple[str, int | None]:
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivId as exc:
        raise FeedFormatError(f"{what}: {exc}") from None
    return parsed.id, parsed.version


def _categories(primary: str, others: list[str]) -> list[str]:
    """arXiv's categories, primary first; MSC/ACM codes that feeds mix in are left out."""
    return categories_of(others, strict=False, primary=primary)


# --- Atom API (export.arxiv.org/api/query) -----------------------------------------------------


@dataclass
class ApiPage:
    total: int
    start: int
    records: list[PaperRecord]
    problems: list[str] = field(default_factory=list)


def parse_api(data: bytes) -> ApiPage:
    root = parse_xml(data, "arXiv API response")
    if root.tag != f"{ATOM}feed":
        raise FeedFormatError(f"expected an Atom feed, got <{etree.QName(root).localname}>")
    records, problems = [], []
    for entry in root.iter(f"{ATOM}entry"):
        entry_id = _text(entry, f"{ATOM}id")
        if "/api/errors" in entry_id:
            raise ApiError(f"arXiv refused the request: {_text(entry, f'{ATOM}summary')}")
        if not entry_id:
            continue  # arXiv sends an empty entry for an id it does not know
        try:
            records.append(_checked(_api_record(entry, entry_id)))
        except RecordError as exc:
            problems.append(f"{entry_id}: {exc}")
    total = int(_text(root, f"{OPENSEARCH}totalResults") or len(records))
    start = int(_text(root, f"{OPENSEARCH}startIndex") or 0)
    return ApiPage(total=total, start=start, records=records, problems=problems)


def _api_record(entry: etree._Element, entry_id: str) -> PaperRecord:
    arxiv_id, version = _id(entry_id.rsplit("/abs/", 1)[-1], "entry id")
    published = _iso(_text(entry, f"{ATOM}published"), "published")
    updated = _iso(_text(entry, f"{ATOM}updated"), "updated")
    primary_node = entry.find(f"{ARXIV_ATOM}primary_category")
    primary = primary_node.get("term", "") if primary_node is not None else ""
    others = [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
    abstract = _prose(entry, f"{ATOM}summary")
    comment = _text(entry, f"{ARXIV_ATOM}comment")
    title = _prose(entry, f"{ATOM}title")
    if not title:
        raise FeedFormatError(f"entry {arxiv_id} has no title")
    authors = [
        (
            tex_to_unicode(_text(a, f"{ATOM}name")),
            [tex_to_unicode(clean(f.text)) for f in a.findall(f"{ARXIV_ATOM}affiliation")],
        )
        for a in entry.findall(f"{ATOM}author")
    ]
    return _authored(
        PaperRecord(
            arxiv_id=arxiv_id,
            version=version,
            title=title,
            abstract=abstract,
            categories=_categories(primary, others),
            published_at=published,
            revised_at=updated,
            comment=comment,
            journal_ref=_text(entry, f"{ARXIV_ATOM}journal_ref"),
            doi=_text(entry, f"{ARXIV_ATOM}doi")[:200],
            code_url=code_url_in(abstract, comment),
            versions=[(version, updated)] if version else [],
            withdrawn=bool(WITHDRAWN.search(comment)),
        ),
        authors,
    )


# --- OAI-PMH ListRecords (oaipmh.arxiv.org/oai) ------------------------------------------------


@dataclass
class OaiPage:
    response_date: dt.datetime | None
    records: list[PaperRecord] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    token: str | None = None
    complete_size: int | None = None
    error_code: str = ""
    error_message: str = ""
    problems: list[str] = field(default_factory=list)


def parse_oai(data: bytes) -> OaiPage:
    root = parse_xml(data, "OAI-PMH response")
    if etree.QName(root).localname == "error":  # a bare <error code="..."> document
        code = root.get("code", "") or "error"
        return OaiPage(None, error_code=code, error_message=_oai_text(root))
    if root.tag != f"{OAI}OAI-PMH":
        raise FeedFormatError(f"expected <OAI-PMH>, got <{etree.QName(root).localname}>")
    page = OaiPage(response_date=_iso(_text(root, f"{OAI}responseDate"), "responseDate"))
    error = root.find(f"{OAI}error")
    if error is not None:
        page.error_code = error.get("code", "") or "error"
        page.error_message = _oai_text(error)
        return page
    listing = root.find(f"{OAI}ListRecords")
    if listing is None:
        raise FeedFormatError("the OAI-PMH response has neither <ListRecords> nor <error>")
    for record in listing.findall(f"{OAI}record"):
        header = record.find(f"{OAI}header")
        identifier = _text(header, f"{OAI}identifier")
        arxiv_id, _ = _id(identifier.removeprefix("oai:arXiv.org:"), "record identifier")
        if header is not None and header.get("status") == "deleted":
            page.deleted.append(arxiv_id)
            continue
        raw = record.find(f"{OAI}metadata/{ARXIV_RAW}arXivRaw")
        plain = record.find(f"{OAI}metadata/{ARXIV_OAI}arXiv")
        if raw is None and plain is None:
            raise FeedFormatError(f"record {arxiv_id} has no arXivRaw or arXiv metadata")
        try:
            if raw is not None:
                page.records.append(_checked(_raw_record(raw, arxiv_id)))
            else:
                page.records.append(_checked(_arxiv_record(plain, arxiv_id)))
        except RecordError as exc:
            page.problems.append(f"{arxiv_id}: {exc}")
    token_node = listing.find(f"{OAI}resumptionToken")
    if token_node is not None:
        page.token = (token_node.text or "").strip() or None
        size = token_node.get("completeListSize")
        page.complete_size = int(size) if size and size.isdigit() else None
    return page


def _oai_text(node: etree._Element) -> str:
    return clean("".join(node.itertext()))


def _raw_record(node: etree._Element, arxiv_id: str) -> PaperRecord:
    versions = []
    sizes = {}
    for v in node.findall(f"{ARXIV_RAW}version"):
        label = v.get("version", "")
        if not re.fullmatch(r"v[1-9][0-9]*", label):
            raise FeedFormatError(f"record {arxiv_id}: version {label!r} is not vN")
        number = int(label[1:])
        versions.append((number, _rfc2822(_text(v, f"{ARXIV_RAW}date"), "version date")))
        sizes[number] = _text(v, f"{ARXIV_RAW}size")
    versions.sort(key=lambda item: item[0])
    latest = versions[-1][0] if versions else None
    comment = _text(node, f"{ARXIV_RAW}comments")
    withdrawn = bool(WITHDRAWN.search(comment)) or (latest is not None and sizes[latest] == "0kb")
    abstract = _prose(node, f"{ARXIV_RAW}abstract")
    published = versions[0][1] if versions else None
    title = _prose(node, f"{ARXIV_RAW}title")
    if not title:
        raise FeedFormatError(f"record {arxiv_id} has no title")
    categories = _text(node, f"{ARXIV_RAW}categories").split()
    record = PaperRecord(
        arxiv_id=arxiv_id,
        version=latest,
        title=title,
        abstract=abstract,
        categories=_categories(categories[0] if categories else "", categories),
        published_at=published,
        revised_at=versions[-1][1] if versions else None,
        comment=comment,
        journal_ref=_text(node, f"{ARXIV_RAW}journal-ref"),
        doi=_text(node, f"{ARXIV_RAW}doi")[:200],
        code_url=code_url_in(abstract, comment),
        versions=versions,
        withdrawn=withdrawn,
    )
    return _authored(record, parse_authors(_text(node, f"{ARXIV_RAW}authors")))


def _arxiv_record(node: etree._Element, arxiv_id: str) -> PaperRecord:
    authors = []
    for author in node.findall(f"{ARXIV_OAI}authors/{ARXIV_OAI}author"):
        parts = [_text(author, f"{ARXIV_OAI}{k}") for k in ("forenames", "keyname", "suffix")]
        affiliations = [_prose(a, ".") for a in author.findall(f"{ARXIV_OAI}affiliation")]
        name = tex_to_unicode(" ".join(p for p in parts if p))
        authors.append((name, [a for a in affiliations if a]))
    created = _text(node, f"{ARXIV_OAI}created")
    updated = _text(node, f"{ARXIV_OAI}updated")
    published = _iso(created, "created") if created else None
    abstract = _prose(node, f"{ARXIV_OAI}abstract")
    comment = _text(node, f"{ARXIV_OAI}comments")
    title = _prose(node, f"{ARXIV_OAI}title")
    if not title:
        raise FeedFormatError(f"record {arxiv_id} has no title")
    categories = _text(node, f"{ARXIV_OAI}categories").split()
    record = PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        categories=_categories(categories[0] if categories else "", categories),
        published_at=published,
        revised_at=_iso(updated, "updated") if updated else published,
        comment=comment,
        journal_ref=_text(node, f"{ARXIV_OAI}journal-ref"),
        doi=_text(node, f"{ARXIV_OAI}doi")[:200],
        code_url=code_url_in(abstract, comment),
        withdrawn=bool(WITHDRAWN.search(comment)),
    )
    return _authored(record, authors)


# --- RSS listing (rss.arxiv.org/rss/<category>) ------------------------------------------------

LISTING_ABSTRACT = re.compile(
    r"^arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*Abstract:\s*"
)


@dataclass
class ListingItem:
    announce_type: str
    record: PaperRecord


def parse_listing(data: bytes) -> list[ListingItem]:
    """`rss.arxiv.org/rss/<category>` (RSS 2.0) or `rss.arxiv.org/atom/<category>` (Atom)."""
    root = parse_xml(data, "arXiv listing feed")
    if root.tag == f"{ATOM}feed":
        return [_listing_item(entry, atom=True) for entry in root.findall(f"{ATOM}entry")]
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FeedFormatError("expected an RSS 2.0 feed with a <channel>, or an Atom feed")
    return [_listing_item(item, atom=False) for item in channel.findall("item")]


def _listing_item(item: etree._Element, *, atom: bool) -> ListingItem:
    """One announcement; the two flavours carry the same fields under different names."""
    ns = ATOM if atom else ""
    guid = _text(item, f"{ns}id" if atom else "guid").removeprefix("oai:arXiv.org:")
    if atom:
        link_node = item.find(f"{ATOM}link")
        link = link_node.get("href", "") if link_node is not None else ""
    else:
        link = _text(item, "link")
    arxiv_id, version = _id(guid or link.rsplit("/abs/", 1)[-1], "item id")
    description = _text(item, f"{ns}summary" if atom else "description")
    match = LISTING_ABSTRACT.match(description)
    abstract = tex_to_unicode(description[match.end() :] if match else description)
    announce = _text(item, f"{ARXIV_ATOM}announce_type") or (match["type"] if match else "")
    if atom:
        announced = _iso(_text(item, f"{ATOM}published"), "published")
        terms = [c.get("term", "") for c in item.findall(f"{ATOM}category")]
    else:
        announced = _rfc2822(_text(item, "pubDate"), "pubDate")
        terms = [clean(c.text or "") for c in item.findall("category")]
    comment = _text(item, f"{ARXIV_ATOM}comment")
    title = _prose(item, f"{ns}title")
    if not title:
        raise FeedFormatError(f"item {arxiv_id} has no title")
    record = PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=abstract,
        categories=_categories(terms[0] if terms else "", terms),
        comment=comment,
        doi=_text(item, f"{ARXIV_ATOM}DOI")[:200],
        journal_ref=_text(item, f"{ARXIV_ATOM}journal_reference"),
        code_url=code_url_in(abstract, comment),
        # The announcement day as arXiv states it (its own time zone), not converted to UTC.
        listed_on=announced.date() if announced else None,
    )
    _authored(record, parse_authors(_text(item, f"{DC}creator")))
    return ListingItem(announce_type=announce.lower(), record=record)
