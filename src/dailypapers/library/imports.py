"""Import a reference library into a collection: BibTeX, RIS or CSL-JSON, as Zotero, Mendeley,
EndNote, JabRef, NASA ADS and dblp export them.

Each entry is matched to a catalogued paper by its arXiv id, then its DOI, then its title (by
`Paper.title_key`, indexed: case, accents, braces and punctuation ignored), a few indexed
queries for the whole file; the matches are added in one transaction: a file that cannot be
read, or an import past a collection's size, adds nothing, and the report lists every entry.

A file up to `SYNC_BYTES` is imported while the page waits (well under a second); a larger one
is stored as an `ImportJob` that the worker runs (`tasks.run_import`), its page showing the
progress and then the same report. One limit, `MAX_BYTES`, is stated by the page, checked here,
and below every body limit on the way (the site's and the documented proxies').
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import rispy
from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import Lower
from django.utils import timezone

from dailypapers.library import foryou
from dailypapers.library.collections import MAX_ITEMS, CollectionError
from dailypapers.library.models import Collection, CollectionItem, ImportJob
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.models import Paper
from dailypapers.papers.text import one_line, strip_controls, tex_to_unicode, title_key

log = logging.getLogger(__name__)

# The one size limit of a file: the page states it, `parse_library` checks it, and every body
# limit on the way is larger (the site's 2.5 MB, `DATA_UPLOAD_MAX_MEMORY_SIZE`; the proxy
# examples' 2 MiB), with room for the form around the file. 5,000 entries without abstracts
# are about 0.4 MB.
MAX_BYTES = 2_000_000
MAX_ENTRIES = MAX_ITEMS
SYNC_BYTES = 64 * 1024  # larger files are imported by the worker
MIN_TITLE_KEY = 12  # shorter titles ("Introduction") are not matched by title
CHUNK = 500  # entries matched per step (a progress step of a job)
STALE_JOB = dt.timedelta(minutes=15)  # a job "running" this long lost its worker: run again
KEEP_JOBS = dt.timedelta(days=30)


def limit_text() -> str:
    return f"{MAX_BYTES / 1e6:g} MB"


@dataclass
class ImportedEntry:
    number: int  # 1-based, in the file's order
    title: str
    status: str  # "matched", "already", "duplicate", "unmatched", "unreadable"
    how: str = ""  # "arXiv id", "DOI", "title"
    paper: Paper | None = None
    message: str = ""


@dataclass
class ImportReport:
    format: str
    entries: list[ImportedEntry] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(e.status == status for e in self.entries)

    @property
    def added(self) -> int:
        return self.count("matched")

    def __str__(self) -> str:
        parts = [f"{self.added} added"]
        for status, label in (
            ("already", "already in the collection"),
            ("duplicate", "repeated in the file"),
            ("unmatched", "not in the catalogue"),
            ("unreadable", "unreadable"),
        ):
            if self.count(status):
                parts.append(f"{self.count(status)} {label}")
        return f"{len(self.entries)} entries ({self.format}): " + ", ".join(parts)

    def as_json(self) -> dict:
        rows = [
            [e.number, e.title, e.status, e.how, e.paper.pk if e.paper else None, e.message]
            for e in self.entries
        ]
        return {"format": self.format, "entries": rows}

    @classmethod
    def from_json(cls, data: dict) -> ImportReport:
        rows = data.get("entries", [])
        papers = Paper.objects.only("id", "arxiv_id", "title").in_bulk(
            [row[4] for row in rows if row[4]]
        )
        entries = [
            ImportedEntry(number, title, status, how, papers.get(pk) if pk else None, message)
            for number, title, status, how, pk, message in rows
        ]
        return cls(data.get("format", ""), entries)


# --- reading the file -----------------------------------------------------------------------

UTF32_LE_BOM, UTF32_BE_BOM = codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE
BOMS = (  # longest first: UTF-32 LE's BOM begins with UTF-16 LE's
    (UTF32_LE_BOM, "utf-32-le"),
    (UTF32_BE_BOM, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
SNIFF = 4096  # bytes looked at for an encoding without a BOM


def sniff_encoding(data: bytes) -> tuple[str, int]:
    """(encoding, BOM length) of a file: its byte order mark, else the places of its NUL bytes
    (a reference file is mostly ASCII: UTF-16 LE puts a NUL after each letter, UTF-32 BE three
    before it), else "" for UTF-8 or Windows-1252."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    sample = data[:SNIFF]
    sample = sample[: len(sample) - len(sample) % 4]
    if len(sample) < 4 or b"\x00" not in sample:
        return "", 0
    quarter = len(sample) // 4
    nul = [sample[k::4].count(0) / quarter for k in range(4)]  # share of NULs at 4n+k
    if nul[1] > 0.9 and nul[2] > 0.9 and nul[3] > 0.9 and nul[0] < 0.5:
        return "utf-32-le", 0
    if nul[0] > 0.9 and nul[1] > 0.9 and nul[2] > 0.9 and nul[3] < 0.5:
        return "utf-32-be", 0
    odd, even = (nul[1] + nul[3]) / 2, (nul[0] + nul[2]) / 2
    if odd > 0.5 and even < 0.1:
        return "utf-16-le", 0
    if even > 0.5 and odd < 0.1:
        return "utf-16-be", 0
    return "", 0


def decode(data: bytes) -> str:
    """Text of an uploaded file: UTF-8, UTF-16 or UTF-32, each with or without a BOM, else
    Windows-1252 (what old reference managers write); NULs and control characters dropped."""
    encoding, bom = sniff_encoding(data)
    if encoding:
        text = data[bom:].decode(encoding, errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass
class Reference:
    """What an entry of a reference file says about a paper."""

    title: str = ""
    doi: str = ""
    hints: list[str] = field(default_factory=list)  # texts that may hold an arXiv id
    problem: str = ""


ARXIV_IN_TEXT = re.compile(
    r"(?i)(?:arxiv\.org/(?:abs|pdf)/|arxiv[:\s]\s*|10\.48550/arxiv\.)"
    r"([a-z\-]+(?:\.[A-Z]{2})?/[0-9]{7}|[0-9]{4}\.[0-9]{4,5})(v[0-9]+)?"
)
DOI_IN_TEXT = re.compile(r"(?i)\b(10\.[0-9]{4,9}/\S+)")


def arxiv_id_of(ref: Reference) -> str | None:
    for hint in ref.hints:
        hint = hint.strip()
        try:
            return parse_arxiv_id(hint).id
        except InvalidArxivId:
            pass
        match = ARXIV_IN_TEXT.search(hint)
        if match:
            try:
                return parse_arxiv_id(match.group(1)).id
            except InvalidArxivId:
                continue
    return None


def bib_text(value: str) -> str:
    """A BibTeX field as plain text: Better BibTeX's escaped math (`\\${\\textbackslash}text\\{`)
    undone, `\\text{X}` and `\\vphantom` dropped, TeX accents made letters, braces removed."""
    value = value.replace(r"{\textbackslash}", "\\").replace(r"\textbackslash", "\\")
    value = re.sub(r"\\([${}_&%#])", r"\1", value)
    value = re.sub(r"\\vphantom\s*(\{[^{}]*\})?", "", value)
    value = re.sub(r"\\(?:text|mathrm|textit|textbf|emph)\s*\{([^{}]*)\}", r"\1", value)
    return one_line(re.sub(r"[{}]", "", tex_to_unicode(value)))


def _bibtex(text: str) -> list[Reference]:
    import bibtexparser  # ~20 ms to import, for the rare import of a BibTeX file

    library = bibtexparser.parse_string(text)
    refs = []
    for block in library.blocks:
        if isinstance(block, bibtexparser.model.Entry):
            values = {f.key.lower(): str(f.value) for f in block.fields}
            hints = [values.get(k, "") for k in ("eprint", "arxivid", "arxiv")]
            hints += [values.get(k, "") for k in ("url", "doi", "journal", "note", "howpublished")]
            refs.append(
                Reference(
                    title=bib_text(values.get("title", "")),
                    doi=values.get("doi", ""),
                    hints=[h for h in hints if h],
                )
            )
        elif isinstance(block, bibtexparser.model.ParsingFailedBlock):
            raw = getattr(block, "raw", "") or ""
            title = re.search(r"(?i)title\s*=\s*[{\"](.{1,200})", raw)
            refs.append(
                Reference(
                    title=title.group(1).rstrip('}",') if title else raw[:80],
                    problem=f"not valid BibTeX ({type(block).__name__})",
                )
            )
    return refs


def _ris(text: str) -> list[Reference]:
    refs = []
    for entry in rispy.loads(text, skip_unknown_tags=True):
        title = entry.get("title") or entry.get("primary_title") or ""
        hints = [entry.get("doi", "")]
        for key in ("urls", "file_attachments1", "notes"):
            value = entry.get(key) or []
            hints += value if isinstance(value, list) else [value]
        for key in ("accession_number", "url", "number", "note", "custom3", "journal_name"):
            hints.append(str(entry.get(key) or ""))
        refs.append(
            Reference(title=title, doi=entry.get("doi", "") or "", hints=[h for h in hints if h])
        )
    return refs


def _csl_json(text: str) -> list[Reference]:
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("items", [data])
    if not isinstance(data, list):
        raise CollectionError("A CSL-JSON file holds a list of items.")
    refs = []
    for item in data:
        if not isinstance(item, dict):
            refs.append(Reference(problem="not an object"))
            continue
        hints = [str(item.get(k) or "") for k in ("number", "URL", "DOI", "id", "note")]
        refs.append(
            Reference(
                title=str(item.get("title") or ""),
                doi=str(item.get("DOI") or ""),
                hints=[h for h in hints if h],
            )
        )
    return refs


def too_large(size: int) -> str:
    return (
        f"The file is {size / 1e6:.1f} MB; an import reads at most {limit_text()} "
        "(export the library in parts)."
    )


def parse_library(data: bytes, filename: str = "") -> tuple[str, list[Reference]]:
    """(format, references) of an uploaded file, or CollectionError saying why it is unusable."""
    if len(data) > MAX_BYTES:
        raise CollectionError(too_large(len(data)))
    text = decode(data)
    stripped = text.lstrip()
    lower = filename.lower()
    try:
        if lower.endswith(".json") or stripped.startswith(("[", "{")):
            kind, refs = "CSL-JSON", _csl_json(text)
        elif lower.endswith(".ris") or re.match(r"TY {2}- ", stripped):
            kind, refs = "RIS", _ris(text)
        elif lower.endswith((".bib", ".bibtex")) or stripped.startswith("@"):
            kind, refs = "BibTeX", _bibtex(text)
        else:
            raise CollectionError(
                "This is not a BibTeX (.bib), RIS (.ris) or CSL-JSON (.json) file."
            )
    except CollectionError:
        raise
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise CollectionError(f"The file could not be read: {str(exc)[:200]}") from None
    if not refs:
        raise CollectionError(f"The {kind} file holds no entries.")
    if len(refs) > MAX_ENTRIES:
        raise CollectionError(
            f"The file holds {len(refs):,} entries; an import takes at most {MAX_ENTRIES:,}."
        )
    return kind, refs


# --- matching ---------------------------------------------------------------------------------

COLUMNS = ("id", "arxiv_id", "title")


def _doi_of(ref: Reference) -> str:
    found = DOI_IN_TEXT.search(ref.doi.strip()) if ref.doi else None
    return found.group(1).rstrip(".,;}").lower() if found else ""


def _match_chunk(refs: list[Reference], first: int) -> list[ImportedEntry]:
    """Entries `first`, `first + 1`, ... with their papers: three indexed queries (arXiv id,
    lower-cased DOI, title key)."""
    arxiv_ids = [arxiv_id_of(r) for r in refs]
    dois = [_doi_of(r) for r in refs]
    keys = [title_key(r.title) for r in refs]
    papers = Paper.objects.only(*COLUMNS)
    by_arxiv = papers.in_bulk([i for i in arxiv_ids if i], field_name="arxiv_id")
    by_doi: dict[str, Paper] = {}
    if any(dois):
        found = papers.annotate(doi_lower=Lower("doi")).filter(doi_lower__in={d for d in dois if d})
        for with_doi in found.order_by("pk"):
            by_doi.setdefault(with_doi.doi_lower, with_doi)
    by_title: dict[str, Paper] = {}
    if wanted := {k for k in keys if len(k) >= MIN_TITLE_KEY}:
        for paper in papers.filter(title_key__in=wanted).order_by("pk").only(*COLUMNS, "title_key"):
            by_title.setdefault(paper.title_key, paper)
    out = []
    for n, (ref, arxiv_id, doi, key) in enumerate(
        zip(refs, arxiv_ids, dois, keys, strict=True), start=first
    ):
        shown = one_line(tex_to_unicode(ref.title))[:300] or "(no title)"
        if ref.problem:
            out.append(ImportedEntry(n, shown, "unreadable", message=ref.problem))
        elif arxiv_id and arxiv_id in by_arxiv:
            out.append(ImportedEntry(n, shown, "matched", "arXiv id", by_arxiv[arxiv_id]))
        elif doi and doi in by_doi:
            out.append(ImportedEntry(n, shown, "matched", "DOI", by_doi[doi]))
        elif key in by_title:
            out.append(ImportedEntry(n, shown, "matched", "title", by_title[key]))
        else:
            why = (
                f"arXiv:{arxiv_id} is not catalogued here"
                if arxiv_id
                else "no arXiv id, DOI or title of a catalogued paper"
            )
            out.append(ImportedEntry(n, shown, "unmatched", message=why))
    return out


def match(
    refs: Iterable[Reference], progress: Callable[[int], None] | None = None
) -> list[ImportedEntry]:
    """Each reference with the catalogued paper it names, `CHUNK` references at a time
    (`progress` is told how many are done after each)."""
    refs = list(refs)
    out: list[ImportedEntry] = []
    for start in range(0, len(refs), CHUNK):
        out += _match_chunk(refs[start : start + CHUNK], start + 1)
        if progress is not None:
            progress(len(out))
    return out


def apply(collection: Collection, report: ImportReport) -> ImportReport:
    """Add the report's matches to the collection, all of them or none."""
    with transaction.atomic():
        Collection.objects.select_for_update().filter(pk=collection.pk).first()
        present = set(collection.items.values_list("paper_id", flat=True))
        room = MAX_ITEMS - len(present)
        last = collection.items.aggregate(m=Max("position"))["m"] or 0
        new = []
        added: set[int] = set()  # by this import: a second entry for one is a duplicate
        for entry in report.entries:
            paper = entry.paper
            if entry.status != "matched" or paper is None:  # a matched entry has its paper
                continue
            if paper.pk in present:
                entry.status = "duplicate" if paper.pk in added else "already"
                continue
            present.add(paper.pk)
            added.add(paper.pk)
            last += 1
            new.append(CollectionItem(collection=collection, paper=paper, position=last))
        if len(new) > room:
            raise CollectionError(
                f"This would put {len(present):,} papers in the collection; it holds at most "
                f"{MAX_ITEMS:,}."
            )
        CollectionItem.objects.bulk_create(new)
        if new:
            collection.save(update_fields=["updated_at"])
    return report


def import_library(collection: Collection, data: bytes, filename: str = "") -> ImportReport:
    """Add every entry of the file that names a catalogued paper, all at once or not at all."""
    kind, refs = parse_library(data, filename)
    return apply(collection, ImportReport(kind, match(refs)))


# --- imports the worker runs ------------------------------------------------------------------


def needs_worker(size: int) -> bool:
    return size > SYNC_BYTES


def queue(collection: Collection, data: bytes, filename: str = "") -> ImportJob:
    """Store a large import for the worker; one unfinished import per collection."""
    if len(data) > MAX_BYTES:
        raise CollectionError(too_large(len(data)))
    with transaction.atomic():
        Collection.objects.select_for_update().filter(pk=collection.pk).first()
        if collection.import_jobs.filter(status__in=[ImportJob.QUEUED, ImportJob.RUNNING]).exists():
            raise CollectionError(
                "An import into this collection is under way; wait for its report first."
            )
        return ImportJob.objects.create(
            collection=collection,
            filename=filename[:255],
            data=data,
            size=len(data),
            stage="waiting for the worker",
        )


def _claim(job_id: int) -> bool:
    """Take the job (queued, or running with its worker gone) with a conditional update."""
    now = timezone.now()
    claimable = Q(status=ImportJob.QUEUED) | Q(
        status=ImportJob.RUNNING, started_at__lt=now - STALE_JOB
    )
    return bool(
        ImportJob.objects.filter(claimable, pk=job_id).update(
            status=ImportJob.RUNNING, started_at=now, stage="reading the file", done=0
        )
    )


def run_job(job_id: int) -> str:
    """Run one stored import: read, match (its progress saved every `CHUNK` entries), add all
    or nothing, keep the report; the status it ended with."""
    if not _claim(job_id):
        return "taken"
    job = ImportJob.objects.select_related("collection").get(pk=job_id)

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(done=done, stage="matching entries")

    try:
        kind, refs = parse_library(bytes(job.data), job.filename)
        ImportJob.objects.filter(pk=job_id).update(total=len(refs), stage="matching entries")
        report = ImportReport(kind, match(refs, progress))
        ImportJob.objects.filter(pk=job_id).update(stage="adding the papers")
        apply(job.collection, report)
        foryou.mark_stale(job.collection.owner_id)
    except CollectionError as exc:
        _finish(job_id, ImportJob.FAILED, error=str(exc))
        return ImportJob.FAILED
    except Exception:
        log.exception("import %s failed", job_id)
        _finish(job_id, ImportJob.FAILED, error="The import failed on the server; it is logged.")
        return ImportJob.FAILED
    _finish(job_id, ImportJob.DONE, report=report.as_json())
    return ImportJob.DONE


def _finish(job_id: int, status: str, *, error: str = "", report: dict | None = None) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        stage="",
        error=error,
        report=report or {},
        data=b"",
        finished_at=timezone.now(),
    )


def due() -> list[int]:
    """Jobs to run: queued ones, and running ones whose worker is gone; oldest first."""
    now = timezone.now()
    stale = Q(status=ImportJob.RUNNING, started_at__lt=now - STALE_JOB)
    return list(
        ImportJob.objects.filter(Q(status=ImportJob.QUEUED) | stale)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:20]
    )


def prune() -> int:
    """Forget reports older than `KEEP_JOBS`."""
    old = ImportJob.objects.filter(finished_at__lt=timezone.now() - KEEP_JOBS)
    return old.delete()[0]


def unfinished(collection: Collection) -> ImportJob | None:
    return (
        collection.import_jobs.filter(status__in=[ImportJob.QUEUED, ImportJob.RUNNING])
        .defer("data", "report")
        .first()
    )
