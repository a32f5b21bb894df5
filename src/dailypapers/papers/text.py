"""Text as sources send it, made safe and plain: control characters out, TeX accents to Unicode,
and arXiv's author lines parsed into names and affiliations.

arXiv's metadata keeps TeX (`Val\\'erie`, `R{\\"u}bhausen`, `Universit\\"at`) where its API sends
UTF-8, so a paper's author names would change with the last source; and an author line carries
affiliations in parentheses (`A (MIT), B (1, 2) ((1) ETH, (2) EPFL)`), which a plain comma split
turns into invented authors. The rules here follow arXiv's own reading of author lines (the
`Authors:` field of its metadata, documented with its code): names are separated by commas, `and`,
`&` and a collaboration's colon; a parenthesised group belongs to the name before it; a group of
numbers refers to a trailing `((1) ..., (2) ...)` block; an author without an affiliation takes
the one of the next author who has one ("A, B (MIT)": both at MIT), collaborations at the start
excepted.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

# C0 controls but tab and newline, DEL, C1 controls: never meaningful in paper metadata, and an
# XML 1.0 document (RSS, Atom, sitemaps) cannot carry most of them.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SURROGATES = re.compile(r"[\ud800-\udfff]")
WHITESPACE = re.compile(r"\s+")


def strip_controls(text: str) -> str:
    """The text without control characters (tab and newline kept) and lone surrogates."""
    text = CONTROLS.sub(" ", text)
    return SURROGATES.sub("\ufffd", text)


def one_line(text: str) -> str:
    """Controls out, runs of whitespace to one space, trimmed."""
    return WHITESPACE.sub(" ", strip_controls(text)).strip()


# --- TeX to Unicode -----------------------------------------------------------------------------

# Math stays as written: $...$, $$...$$, \(...\), \[...\].
MATH = re.compile(r"(\$\$.+?\$\$|(?<!\\)\$.+?(?<!\\)\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)
# An accent macro on one letter: \'e  \'{e}  {\'e}  \"{\i}  \v z  \c{c} (braces kept balanced).
_MARK = r"([`'^\"~=.]|[uvHtcdbkr](?![A-Za-z]))\s*"
_BARE = r"(?:\\[ij](?![A-Za-z])|[A-Za-z])"
ACCENT = re.compile(
    rf"\{{\\{_MARK}({_BARE}|\{{\s*{_BARE}\s*\}})\}}|\\{_MARK}(\{{\s*{_BARE}\s*\}}|{_BARE})"
)
# Letters that are macros of their own: \ss \o \O \l \L \aa \AA \ae \AE \oe \OE, and \i \j.
_NAMES = r"(ss|o|O|l|L|aa|AA|ae|AE|oe|OE|i|j)(?![A-Za-z])"
LETTER = re.compile(rf"\{{\\{_NAMES}\s*\}}|\\{_NAMES}(?:\s*\{{\}})?")
ESCAPE = re.compile(r"\\([&%_#$])")
# Formatting macros whose argument is plain text: the argument is kept, the macro dropped.
WRAPPER = re.compile(r"\\(?:textbf|textit|emph|textsc|texttt|textrm|textsf|mbox|url)\{([^{}]*)\}")
NAMED = {"ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "aa": "å", "AA": "Å", "ae": "æ"}
NAMED |= {"AE": "Æ", "oe": "œ", "OE": "Œ", "i": "\u0131", "j": "\u0237"}  # dotless i and j
COMBINING = {
    "`": "\u0300",
    "'": "\u0301",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "t": "\u0361",
    "c": "\u0327",
    "d": "\u0323",
    "b": "\u0331",
    "k": "\u0328",
    "r": "\u030a",
}


def _accent(match: re.Match[str]) -> str:
    mark, letter = (match[1], match[2]) if match[1] else (match[3], match[4])
    letter = letter.strip("{} ")
    if letter in ("\\i", "\\j"):
        letter = letter[1]  # a dotless i under an accent is written as a plain i
    return unicodedata.normalize("NFC", letter + COMBINING[mark])


def _text_segment(text: str) -> str:
    text = ACCENT.sub(_accent, text)
    text = LETTER.sub(lambda m: NAMED[m[1] or m[2]], text)
    text = ESCAPE.sub(r"\1", text)
    for _ in range(3):  # nested wrappers: \textbf{\emph{x}}
        text, changed = WRAPPER.subn(r"\1", text)
        if not changed:
            break
    return text


@functools.lru_cache(maxsize=4096)
def _cached(text: str) -> str:
    parts = MATH.split(text)
    return "".join(part if i % 2 else _text_segment(part) for i, part in enumerate(parts))


def tex_to_unicode(text: str) -> str:
    """Accents, special letters and escapes of TeX as Unicode; math (`$...$`) kept as written.

    Conservative on purpose: a macro it does not know stays as written (no text is lost), and
    text without a backslash is returned as it is.
    """
    if "\\" not in text:
        return text
    if len(text) > 512:
        return _cached.__wrapped__(text)
    return _cached(text)


# --- the title key -----------------------------------------------------------------------------

TITLE_KEY_LENGTH = 200  # characters kept in `Paper.title_key` (indexed); longer keys are cut
TEX_MACRO = re.compile(r"\\[a-zA-Z]+\s*")
NOT_WORD = re.compile(r"[^\w\s]")


def title_key(text: str) -> str:
    """A title as compared when a paper is looked up by title: TeX accents made letters, then
    accents, braces, punctuation, case and spacing dropped ("Schr{\\\"o}dinger's cats" and
    "SCHRODINGER'S CATS" have one key), cut to its first 200 characters. Stored on each paper
    (`Paper.title_key`, indexed) and used for every lookup, so both sides agree."""
    text = unicodedata.normalize("NFKD", tex_to_unicode(one_line(text)))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = TEX_MACRO.sub(" ", unicodedata.normalize("NFKC", text))
    text = NOT_WORD.sub(" ", text.casefold())
    return " ".join(text.split())[:TITLE_KEY_LENGTH].rstrip()


# --- author lines -------------------------------------------------------------------------------

# Words that belong to a family name ("van der Berg", "de la Cruz") and suffixes after it: the
# author pages (people/names.py) and citations (papers/cite.py) read names with the same lists.
NAME_PARTICLES = frozenset(
    "van von der den de del della di da du la le dos das ter ten bin al".split()  # noqa: SIM905
)
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})

NUMBERED = re.compile(r"^\s*\(\s*\d+\s*\)")
REFERENCES = re.compile(r"^[\d\s,;&]*(?:(?:and)[\d\s,;&]*)*$", re.IGNORECASE)
SEPARATOR = re.compile(r"\s*(?:,|;|:|&|\band\b)\s*", re.IGNORECASE)
SUFFIX = re.compile(r"^(?:Jr\.?|Sr\.?|II|III|IV)$")
ET_AL = re.compile(r"^et\.?\s*al\.?$", re.IGNORECASE)
NOT_AN_AFFILIATION = re.compile(
    r"^\d+\s+(?:more|additional)\s+authors?\b|^et\.?\s*al", re.IGNORECASE
)
TEX_SPACE = re.compile(r"\\[,;:! ]")
COLLABORATION = re.compile(r"\b(collaboration|group|team|consortium)\b", re.IGNORECASE)


def _segments(line: str) -> list[tuple[str, str]]:
    """("text", ...) and ("group", content) pieces of the line at parenthesis depth 0."""
    pieces: list[tuple[str, str]] = []
    depth, start = 0, 0
    for i, char in enumerate(line):
        if char == "(":
            if depth == 0:
                pieces.append(("text", line[start:i]))
                start = i + 1
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                pieces.append(("group", line[start:i]))
                start = i + 1
    pieces.append(("group" if depth else "text", line[start:]))
    return [(kind, content) for kind, content in pieces if content.strip()]


def _numbered_block(content: str) -> dict[str, str]:
    """`(1) Univ X, (2) Univ Y` into {"1": "Univ X", "2": "Univ Y"}."""
    parts = re.split(r"\(\s*(\d+)\s*\)", content)
    return {
        number: text.strip(" ,;.")
        for number, text in zip(parts[1::2], parts[2::2], strict=False)
        if text.strip(" ,;.")
    }


def _tidy_name(name: str) -> str:
    name = one_line(name)
    return re.sub(r"(?<!\\)\.(?=[^\s.,\-)])", ". ", name)  # "S.M. Warner" -> "S. M. Warner"


def parse_authors(line: str) -> list[tuple[str, list[str]]]:
    """An arXiv author line into (name, affiliations) pairs, in order; TeX made Unicode."""
    line = one_line(TEX_SPACE.sub(" ", line))
    if not line:
        return []
    segments = _segments(line)
    numbered: dict[str, str] = {}
    if segments and segments[-1][0] == "group" and NUMBERED.match(segments[-1][1]):
        numbered = _numbered_block(segments.pop()[1])
    authors: list[list] = []  # [name, affiliations, is_collaboration]
    for kind, content in segments:
        if kind == "group":
            if not authors:
                continue  # an affiliation before any name: nobody to give it to
            content = one_line(content)
            if NOT_AN_AFFILIATION.match(content):
                continue
            if REFERENCES.match(content):  # "(1, 2)": numbers of the trailing block, if any
                refs = re.findall(r"\d+", content)
                authors[-1][1].extend(numbered[r] for r in refs if r in numbered)
            elif content:
                authors[-1][1].append(content)
            continue
        for name in SEPARATOR.split(content):
            name = _tidy_name(name)
            if not name or ET_AL.match(name):
                continue
            if SUFFIX.match(name) and authors:
                authors[-1][0] += f" {name}"
                continue
            authors.append([name, [], False])
    # Collaborations at the start keep no affiliation of the authors after them.
    for author in authors:
        if not COLLABORATION.search(author[0]):
            break
        author[2] = True
    following: list[str] = []
    for author in reversed(authors):
        if author[1]:
            following = author[1]
        elif following and not author[2]:
            author[1] = list(following)
    return [
        (tex_to_unicode(name), list(dict.fromkeys(tex_to_unicode(a) for a in affiliations)))
        for name, affiliations, _ in authors
    ]


def main_affiliation(affiliations: list[list[str]]) -> str:
    """The affiliation most authors share (the first author's among equals), or ""."""
    counts = Counter(affiliation for own in affiliations for affiliation in own)
    return counts.most_common(1)[0][0] if counts else ""  # ties: the first one met
