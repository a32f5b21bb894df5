"""Collections: create, add, order, annotate, and import a reference library.

An import reads a BibTeX, RIS or CSL-JSON file (what Zotero, Mendeley, EndNote and JabRef
export), matches each entry to a catalogued paper by arXiv id, then DOI, then exact title, and
adds the matches in one transaction: a file that cannot be read adds nothing, and the report
lists every entry with what became of it.
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import rispy
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Lower

from dailypapers.library.models import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_NOTE,
    Collection,
    CollectionItem,
)
from dailypapers.papers.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.papers.models import Paper
from dailypapers.papers.text import one_line, strip_controls, tex_to_unicode

MAX_COLLECTIONS = 200
MAX_ITEMS = 5_000
MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ENTRIES = MAX_ITEMS


class CollectionError(ValueError):
    """A request about a collection that cannot be done; the message is for people."""


def clean_name(text: str) -> str:
    name = one_line(strip_controls(text or ""))
    if not name:
        raise CollectionError("A collection needs a name.")
    if len(name) > MAX_NAME:
        raise CollectionError(f"A collection's name has at most {MAX_NAME} characters.")
    return name


def clean_text(text: str, limit: int, what: str) -> str:
    cleaned = strip_controls(text or "").replace("\r\n", "\n").strip()
    if len(cleaned) > limit:
        raise CollectionError(f"The {what} has at most {limit:,} characters.")
    return cleaned


def create(user: User, name: str, description: str = "", public: bool = False) -> Collection:
    name = clean_name(name)
    description = clean_text(description, MAX_DESCRIPTION, "description")
    if Collection.objects.filter(owner=user).count() >= MAX_COLLECTIONS:
        raise CollectionError(f"You have {MAX_COLLECTIONS} collections; delete one first.")
    try:
        with transaction.atomic():
            return Collection.objects.create(
                owner=user, name=name, description=description, public=public
            )
    except IntegrityError:
        raise CollectionError(f"You already have a collection named “{name}”.") from None


def update(collection: Collection, name: str, description: str, public: bool) -> None:
    collection.name = clean_name(name)
    collection.description = clean_text(description, MAX_DESCRIPTION, "description")
    collection.public = public
    try:
        with transaction.atomic():
            collection.save()
    except IntegrityError:
        raise CollectionError(f"You already have a collection named “{collection.name}”.") from None


def add(collection: Collection, paper: Paper, note: str = "") -> tuple[CollectionItem, bool]:
    """Add at the end (or return the item already there); (item, whether it was added)."""
    note = clean_text(note, MAX_NOTE, "note")
    with transaction.atomic():
        # Lock the collection row: two adds at once get two positions.
        Collection.objects.select_for_update().filter(pk=collection.pk).first()
        found = CollectionItem.objects.filter(collection=collection, paper=paper).first()
        if found:
            return found, False
        if collection.items.count() >= MAX_ITEMS:
            raise CollectionError(f"A collection holds at most {MAX_ITEMS:,} papers.")
        last = collection.items.aggregate(m=Max("position"))["m"]
        item = CollectionItem.objects.create(
            collection=collection, paper=paper, position=(last or 0) + 1, note=note
        )
        Collection.objects.filter(pk=collection.pk).update(updated_at=item.added_at)
    return item, True


def remove(collection: Collection, paper: Paper) -> bool:
    return bool(CollectionItem.objects.filter(collection=collection, paper=paper).delete()[0])


def move(collection: Collection, paper: Paper, where: str) -> None:
    """Move a paper `up`, `down`, to the `top` or the `bottom`; positions are renumbered."""
    with transaction.atomic():
        Collection.objects.select_for_update().filter(pk=collection.pk).first()
        items = list(collection.items.order_by("position", "pk"))
        index = next((i for i, it in enumerate(items) if it.paper_id == paper.pk), None)
        if index is None:
            raise CollectionError("That paper is not in this collection.")
        item = items.pop(index)
        target = {
            "up": max(index - 1, 0),
            "down": min(index + 1, len(items)),
            "top": 0,
            "bottom": len(items),
        }.get(where)
        if target is None:
            raise CollectionError("Move a paper up, down, to the top or to the bottom.")
        items.insert(target, item)
        changed = []
        for position, it in enumerate(items, start=1):
            if it.position != position:
                it.position = position
                changed.append(it)
        CollectionItem.objects.bulk_update(changed, ["position"])


def set_note(collection: Collection, paper: Paper, note: str) -> None:
    note = clean_text(note, MAX_NOTE, "note")
    if not CollectionItem.objects.filter(collection=collection, paper=paper).update(note=note):
        raise CollectionError("That paper is not in this collection.")


def papers_of(collection: Collection) -> list[Paper]:
    """The collection's papers in order, each with `.note`."""
    items = collection.items.select_related("paper", "paper__entry").order_by("position", "pk")
    out = []
    for item in items:
        item.paper.note = item.note  # type: ignore[attr-defined]  # for the page and the API
        out.append(item.paper)
    return out


def containing(user: User | AnonymousUser, paper: Paper) -> set[int]:
    """Ids of the user's collections that hold the paper."""
    if not user.is_authenticated:
        return set()
    return set(
        CollectionItem.objects.filter(collection__owner=user, paper=paper).values_list(
            "collection_id", flat=True
        )
    )


# --- import -------------------------------------------------------------------------------


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


def decode(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), UTF-16 with a BOM, else
    Windows-1252 (what old reference managers write); NULs and control characters dropped."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
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


def plain_title(text: str) -> str:
    """A title as compared: TeX accents made letters, braces, punctuation and case dropped."""
    text = unicodedata.normalize("NFKC", tex_to_unicode(one_line(text)))
    text = re.sub(r"\\[a-zA-Z]+\s*", " ", text)
    text = re.sub(r"[^\w\s]", " ", text.casefold())
    return " ".join(text.split())


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


def parse_library(data: bytes, filename: str = "") -> tuple[str, list[Reference]]:
    """(format, references) of an uploaded file, or CollectionError saying why it is unusable."""
    if len(data) > MAX_IMPORT_BYTES:
        raise CollectionError(
            f"The file is {len(data) / 1e6:.1f} MB; an import reads at most "
            f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB (export the library in parts)."
        )
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
    if len(refs) > MAX_IMPORT_ENTRIES:
        raise CollectionError(
            f"The file holds {len(refs):,} entries; an import takes at most {MAX_IMPORT_ENTRIES:,}."
        )
    return kind, refs


def match(refs: Iterable[Reference]) -> list[ImportedEntry]:
    """Each reference with the catalogued paper it names (three queries for the whole file)."""
    refs = list(refs)
    arxiv_ids = [arxiv_id_of(r) for r in refs]
    dois = []
    for r in refs:
        found = DOI_IN_TEXT.search(r.doi.strip()) if r.doi else None
        dois.append(found.group(1).rstrip(".,;}").lower() if found else "")
    titles = [plain_title(r.title) for r in refs]
    by_arxiv = Paper.objects.in_bulk([i for i in arxiv_ids if i], field_name="arxiv_id")
    by_doi = {
        p.doi_lower: p
        for p in Paper.objects.annotate(doi_lower=Lower("doi")).filter(
            doi_lower__in=[d for d in dois if d]
        )
    }
    wanted = {t for t in titles if len(t) >= 12}
    by_title: dict[str, Paper] = {}
    if wanted:
        first_words = {t.split()[0] for t in wanted}
        # Candidates by their first word (an index-friendly prefix), compared in Python.
        for word in first_words:
            for paper in Paper.objects.filter(title__istartswith=word).only(
                "id", "arxiv_id", "title"
            )[:20_000]:
                key = plain_title(paper.title)
                if key in wanted:
                    by_title.setdefault(key, paper)
    out = []
    for n, (ref, arxiv_id, doi, title) in enumerate(
        zip(refs, arxiv_ids, dois, titles, strict=True), start=1
    ):
        shown = one_line(tex_to_unicode(ref.title))[:300] or "(no title)"
        if ref.problem:
            out.append(ImportedEntry(n, shown, "unreadable", message=ref.problem))
        elif arxiv_id and arxiv_id in by_arxiv:
            out.append(ImportedEntry(n, shown, "matched", "arXiv id", by_arxiv[arxiv_id]))
        elif doi and doi in by_doi:
            out.append(ImportedEntry(n, shown, "matched", "DOI", by_doi[doi]))
        elif title in by_title:
            out.append(ImportedEntry(n, shown, "matched", "title", by_title[title]))
        else:
            why = (
                f"arXiv:{arxiv_id} is not catalogued here"
                if arxiv_id
                else "no arXiv id, DOI or title of a catalogued paper"
            )
            out.append(ImportedEntry(n, shown, "unmatched", message=why))
    return out


def import_library(collection: Collection, data: bytes, filename: str = "") -> ImportReport:
    """Add every entry of the file that names a catalogued paper, all at once or not at all."""
    kind, refs = parse_library(data, filename)
    report = ImportReport(kind, match(refs))
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
