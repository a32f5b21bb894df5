"""Citing papers: BibTeX and RIS, for one paper or a list (a search page).

BibTeX follows what arXiv's own export gives (`@misc` with `eprint`, `archivePrefix`,
`primaryClass`), names as "Last, First" so particles and multi-word family names survive
("van der Berg, Jan"), text in UTF-8 with TeX's special characters escaped and braces balanced.
RIS is the tagged format reference managers import (Zotero, EndNote, Mendeley): one `AU` per
author, `UR` to the abstract page, `L1` to the PDF.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from dailypapers.papers.models import Paper
from dailypapers.papers.text import NAME_PARTICLES, NAME_SUFFIXES, one_line

SUFFIXES = NAME_SUFFIXES | {"jr.", "sr."}
SPECIAL = re.compile(r"([&%$#_])")
TITLE_STOP = frozenset({"a", "an", "the", "on", "of", "for", "and", "in", "to", "towards", "with"})


def last_first(name: str) -> tuple[str, str]:
    """("van der Berg", "Jan") from "Jan van der Berg"; a name with a comma is taken as given."""
    name = one_line(name)
    if "," in name:
        last, _, first = name.partition(",")
        return last.strip(), first.strip()
    words = name.split()
    if len(words) < 2:
        return name, ""
    suffix = [words.pop()] if words[-1].lower() in SUFFIXES and len(words) > 2 else []
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in NAME_PARTICLES:
        start -= 1
    last = " ".join(words[start:] + suffix)
    return last, " ".join(words[:start])


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded).lower()


def cite_key(paper: Paper) -> str:
    """`lecun2026deep`: first author's family name, year, first word of the title that counts."""
    family = _ascii(last_first(paper.authors[0])[0]) if paper.authors else ""
    when = paper.published_at or paper.created_at
    year = str(when.year) if when else ""
    words = [_ascii(w) for w in paper.title.split()]
    word = next((w for w in words if w and w not in TITLE_STOP), "")
    return (family or "paper") + year + word or f"paper{paper.pk}"


def _tex(text: str) -> str:
    """A BibTeX field's text: one line, TeX specials escaped, braces balanced."""
    text = SPECIAL.sub(r"\\\1", one_line(text))
    depth, out = 0, []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(ch)
    return "".join(out) + "}" * depth


def bibtex(paper: Paper, key: str | None = None) -> str:
    authors = " and ".join(
        f"{_tex(last)}, {_tex(first)}" if first else _tex(last)
        for last, first in map(last_first, paper.authors)
    )
    when = paper.published_at or paper.created_at
    fields = [("title", "{" + _tex(paper.title) + "}"), ("author", authors)]
    if when:
        fields += [("year", str(when.year)), ("month", when.strftime("%b").lower())]
    if paper.arxiv_id:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", _tex(paper.primary_category)))
        fields.append(("url", paper.abs_url))
    if paper.doi:
        fields.append(("doi", _tex(paper.doi)))
    if paper.journal_ref:
        fields.append(("note", _tex(paper.journal_ref)))
    if paper.abstract:
        fields.append(("abstract", _tex(paper.abstract)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key or cite_key(paper)},\n{body}\n}}\n"


def bibtex_many(papers: Iterable[Paper]) -> str:
    """Several entries, their keys made unique (`...a`, `...b` after the first)."""
    seen: dict[str, int] = {}
    entries = []
    for paper in papers:
        key = cite_key(paper)
        count = seen.get(key, 0)
        seen[key] = count + 1
        entries.append(bibtex(paper, key + ("" if count == 0 else chr(ord("a") + count - 1))))
    return "\n".join(entries)


def ris(paper: Paper) -> str:
    lines = [("TY", "UNPB" if not paper.journal_ref else "JOUR"), ("TI", one_line(paper.title))]
    lines += [
        ("AU", f"{last}, {first}" if first else last)
        for last, first in map(last_first, paper.authors)
    ]
    when = paper.published_at or paper.created_at
    if when:
        lines += [("PY", str(when.year)), ("DA", when.strftime("%Y/%m/%d"))]
    if paper.abstract:
        lines.append(("AB", one_line(paper.abstract)))
    if paper.arxiv_id:
        lines += [("UR", paper.abs_url), ("L1", paper.pdf_url), ("AN", f"arXiv:{paper.arxiv_id}")]
        lines.append(("PB", "arXiv"))
    if paper.doi:
        lines.append(("DO", one_line(paper.doi)))
    if paper.journal_ref:
        lines.append(("JO", one_line(paper.journal_ref)))
    lines += [("KW", one_line(code)) for code in paper.categories]
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines)


def ris_many(papers: Iterable[Paper]) -> str:
    return "\r\n".join(ris(paper) for paper in papers)
