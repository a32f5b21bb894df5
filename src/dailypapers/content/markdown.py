"""A PDF's text layer, page by page, made into the paper's Markdown (what `/papers/{id}.md` serves).

pdfium gives lines in reading order with `\\r\\n` between them and `\\x02` where a word was
hyphenated at the end of a line. Cleaning, in order:

- running headers and footers: a line at the top or bottom of a page that recurs (its digits set
  aside) on at least half of the pages is dropped, and so is a line that is only a page number;
- words split over lines are joined (`ex-` + `perts`), a hyphen before a lowercase word too;
- lines are joined into paragraphs; a paragraph ends at a short line that ends a sentence;
- numbered section headings (`2 Related Work`, `3.1 Setup`) and the usual unnumbered ones
  (Abstract, References, Appendix...) become Markdown headings (`##`, `###`);
- after the References heading, each entry (`[12] ...` or `12. ...`) becomes a list item.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

SOFT_HYPHEN = "\x02"
HEADING_WORDS = {
    "abstract",
    "introduction",
    "background",
    "related work",
    "method",
    "methods",
    "methodology",
    "experiments",
    "results",
    "discussion",
    "conclusion",
    "conclusions",
    "limitations",
    "acknowledgments",
    "acknowledgements",
    "acknowledgment",
    "references",
    "bibliography",
    "appendix",
}
NUMBERED_HEADING = re.compile(
    r"(?P<number>(?:[1-9]\d?|[A-H])(?:\.\d{1,2}){0,2})\.?\s+(?P<title>[A-Z][^.!?]{1,90})"
)
PAGE_NUMBER = re.compile(r"(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s*(?:of|/)\s*\d{1,4})?", re.I)
REFERENCE_START = re.compile(r"(?:\[\d{1,4}\]|\d{1,4}\.)\s+\S")
SENTENCE_END = (".", "!", "?", ":", '."', ".”")


def _normalise(line: str) -> str:
    """A line with its digits taken out: `Title 2` and `Title 3` are the same running header."""
    return re.sub(r"\d+", "#", line.strip().lower())


def page_lines(pages: list[str]) -> list[list[str]]:
    """Each page's non-empty lines, running headers, footers and bare page numbers dropped."""
    split = [
        [line.strip() for line in page.replace("\r\n", "\n").split("\n") if line.strip()]
        for page in pages
    ]
    edges: Counter[str] = Counter()
    for lines in split:
        edges.update({_normalise(line) for line in lines[:2] + lines[-2:]})
    threshold = max(2, (len(split) + 1) // 2)
    running = {line for line, count in edges.items() if count >= threshold}
    cleaned = []
    for lines in split:
        kept = []
        for i, line in enumerate(lines):
            at_edge = i < 2 or i >= len(lines) - 2
            if at_edge and (_normalise(line) in running or PAGE_NUMBER.fullmatch(line)):
                continue
            kept.append(line)
        cleaned.append(kept)
    return cleaned


def _heading(line: str) -> str | None:
    """The Markdown heading a line is, or None."""
    bare = line.strip()
    if bare.lower().rstrip(":") in HEADING_WORDS:
        return f"## {bare.rstrip(':')}"
    match = NUMBERED_HEADING.fullmatch(bare)
    if not match or len(bare) > 100 or bare.endswith(","):
        return None
    title = match["title"].strip()
    if len(title.split()) > 12 or sum(ch.isdigit() for ch in title) > 4:
        return None  # a sentence or a table row that starts with a number, not a heading
    level = "##" if "." not in match["number"] else "###"
    return f"{level} {match['number']} {title}"


SPLIT_WORD = re.compile(r"(\w+)\x02\s*(\S+)")


def _unsplit(match: re.Match[str]) -> str:
    """A word pdfium marked as hyphenated at a line's end: joined, unless the hyphen was one of
    a compound's (`Mixture-of-experts` broken after `Mixture`)."""
    left, right = match[1], match[2]
    return f"{left}-{right}" if "-" in right.rstrip("-.,;:") else left + right


def _join(previous: str, line: str) -> str:
    if previous.endswith(SOFT_HYPHEN):
        return previous + line
    if previous.endswith("-") and line[:1].islower() and previous[-2:-1].isalpha():
        return previous[:-1] + line
    return f"{previous} {line}"


def to_markdown(pages: list[str], title: str = "") -> str:
    """The cleaned text of the pages as Markdown: headings, paragraphs, a list of references."""
    lines = [line for page in page_lines(pages) for line in page]
    typical = sorted(len(line) for line in lines)[len(lines) // 2] if lines else 0
    blocks: list[str] = []
    paragraph = ""
    in_references = False

    def flush() -> None:
        nonlocal paragraph
        if paragraph:
            text = SPLIT_WORD.sub(_unsplit, paragraph)
            blocks.append(f"- {text}" if in_references else text)
        paragraph = ""

    for line in lines:
        heading = _heading(line)
        if heading is not None and not paragraph.endswith(SOFT_HYPHEN):
            flush()
            blocks.append(heading)
            in_references = heading.lower().endswith(("references", "bibliography"))
            continue
        if in_references and REFERENCE_START.match(line):
            flush()
        paragraph = _join(paragraph, line) if paragraph else line
        if not in_references and line.endswith(SENTENCE_END) and len(line) < 0.8 * typical:
            flush()
    flush()
    if title and blocks and blocks[0].startswith(title[:40]):
        blocks = blocks[1:]  # the title is the document's heading below, not a paragraph
    head = [f"# {title}"] if title else []
    return "\n\n".join(head + blocks).strip() + "\n"


VOWELS = re.compile(r"[aeiouy]", re.I)


def _unaccented(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


def is_usable(text: str) -> bool:
    """Whether a text layer reads as language: enough words, most of them pronounceable.

    A scanned paper has no text layer; a PDF with broken font maps gives symbols or strings
    of consonants. Either way the thumbnail is kept and the text is not.
    """
    words = re.findall(r"[^\W\d_]{2,}", text)
    if len(words) < 50:
        return False
    spoken = sum(1 for word in words if VOWELS.search(_unaccented(word)))
    return spoken / len(words) >= 0.7 and len(" ".join(words)) >= 0.5 * len(text.strip())
