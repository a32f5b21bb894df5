"""Organizations from what papers say: Hugging Face's `organization` field and the authors'
affiliations, reduced to the institution ("School of Computer Science, Carnegie Mellon
University, Pittsburgh" -> "Carnegie Mellon University")."""

from __future__ import annotations

import re

from django.utils.text import slugify

from dailypapers.authors.names import _plain
from dailypapers.papers.text import one_line

INSTITUTION = re.compile(
    r"\b(universit|institut|college|school|academy|laborator|lab\b|labs\b|inc\b|ltd\b|corp|"
    r"research|centre|center|hospital|foundation|company|technologies|ai\b|deepmind|meta\b|"
    r"google|microsoft|nvidia|openai|anthropic|alibaba|tencent|bytedance|huawei|baidu|amazon)",
    re.I,
)
MAX_WORDS = 8


def institution(affiliation: str) -> str:
    """The part of an affiliation that names the institution, or "" when none does."""
    parts = [one_line(part) for part in affiliation.split(",") if one_line(part)]
    named = [part for part in parts if INSTITUTION.search(part) and len(part.split()) <= MAX_WORDS]
    # Prefer a university or company over its department: the last named part.
    universities = [part for part in named if re.search(r"universit|institut", part, re.I)]
    if universities:
        return universities[-1][:300]
    if named:
        return named[-1][:300]
    if len(parts) == 1 and len(parts[0].split()) <= 4:
        return parts[0][:300]  # a short name without a keyword: "ETH Zurich", "KAIST"
    return ""


def key(name: str) -> str:
    words = re.findall(r"\w+", _plain(name))
    if words[:1] == ["the"]:
        words = words[1:]
    return slugify(" ".join(words), allow_unicode=True)[:150]


def of_paper(organization: str, affiliations: list) -> dict[str, str]:
    """The organizations of a paper, key: name as first written."""
    found: dict[str, str] = {}
    names = [organization] if organization else []
    for per_author in affiliations or []:
        if isinstance(per_author, list):
            names += [institution(a) for a in per_author if isinstance(a, str)]
    for name in names:
        name = one_line(name)
        k = key(name) if name else ""
        if k:
            found.setdefault(k, name)
    return found
