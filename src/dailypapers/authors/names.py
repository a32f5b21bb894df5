"""Author names as one key per way of writing a name, and which keys may be the same person.

`key()` makes the spellings of one written name equal: Unicode NFKC, TeX accents made letters,
accents and case dropped, "Last, First" turned around, hyphens and dots as spaces, particles
kept ("van der Berg"). It never guesses: "Y. LeCun" and "Yann LeCun" are two keys, and so are
"Zhang Wei" and "Wei Zhang" (a Chinese name in either order). `maybe_same()` says which keys
*could* be one person (initials that fit the full names, the same words in another order): the
author page offers those to a curator to merge, and merges nothing by itself.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.text import slugify

from dailypapers.papers.text import NAME_PARTICLES, NAME_SUFFIXES, one_line, tex_to_unicode

PARTICLES = NAME_PARTICLES
SUFFIXES = NAME_SUFFIXES
MAX_LENGTH = 150


def _plain(text: str) -> str:
    """Without accents or case: `García` -> `garcia`, `Ł` -> `l`, `ß` -> `ss`."""
    text = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


def words(name: str) -> list[str]:
    """The name's words in "First Last" order, lower case, without accents or punctuation."""
    name = unicodedata.normalize("NFKC", tex_to_unicode(one_line(name)))
    name = re.sub(r"[{}\\]", "", name)
    if name.count(",") == 1:  # "LeCun, Yann" -> "Yann LeCun" (but "Smith, Jr." stays)
        last, first = (part.strip() for part in name.split(","))
        if first and last and _plain(first).strip(". ") not in SUFFIXES:
            name = f"{first} {last}"
    plain = _plain(name)
    # Hyphens, dots and apostrophes separate words: "Jean-Pierre" = "Jean Pierre", "Y.LeCun".
    plain = re.sub(r"[\-\u2010-\u2015.'\u2019`]", " ", plain)
    return re.findall(r"\w+", plain)[:20]


def key(name: str) -> str:
    """The key of a written name: the slug of its words (the author page's address)."""
    return slugify(" ".join(words(name)), allow_unicode=True)[:MAX_LENGTH]


def _initials_fit(short: list[str], full: list[str]) -> bool:
    """`y lecun` fits `yann lecun`; `y a lecun` fits `yann andre lecun`; same last word."""
    if len(short) != len(full) or short[-1] != full[-1] or short == full:
        return False
    return all(
        s == f or (len(s) == 1 and f.startswith(s))
        for s, f in zip(short[:-1], full[:-1], strict=True)
    )


def maybe_same(a: list[str], b: list[str]) -> bool:
    """Whether two written names could be one person: initials of the other's given names, or
    the same words in another order (family name first or last). Never enough to merge."""
    if a == b or not a or not b:
        return False
    if sorted(a) == sorted(b):
        return True
    return _initials_fit(a, b) or _initials_fit(b, a)


def family_name(name_words: list[str]) -> str:
    """The last word that is not a suffix: where near-duplicates are looked for."""
    rest = [w for w in name_words if w not in SUFFIXES] or name_words
    return rest[-1] if rest else ""
