"""Claiming authorship of a paper.

A signed-in user with a confirmed email says which of a paper's author names is theirs. The
claim is accepted at once when the email's domain names that author's affiliation on the paper
("ada@cs.ox.ac.uk" and "University of Oxford": the domain's organisation label, `ox` or
`oxford`, is a word of the affiliation); webmail domains never do. Otherwise it waits for a
curator (admin, "Claims"), who accepts or rejects it. Limits against abuse: one claim per paper
and user, at most `MAX_PENDING` claims waiting per user, a name already claimed by someone else
cannot be claimed again (a curator can reassign it), a banned user cannot claim.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.authors import names
from dailypapers.authors.models import Author, Claim
from dailypapers.papers.models import Paper

MAX_PENDING = 20
WEBMAIL = frozenset(
    """gmail googlemail outlook hotmail live msn yahoo ymail aol icloud me mac proton protonmail
    pm gmx web mail yandex qq 163 126 sina sohu foxmail naver daum hanmail fastmail zoho tutanota
    hey""".split()  # noqa: SIM905
)
SECOND_LEVEL = frozenset({"ac", "edu", "co", "com", "org", "net", "gov", "or", "ne", "go"})
# Parts of a domain that say nothing of the organisation.
GENERIC = frozenset(
    """www mail email cs ee eecs math dept lab labs research ac edu com org net gov co uni univ
    student students""".split()  # noqa: SIM905
)


class ClaimError(Exception):
    """The claim cannot be made; the message says why, for the user."""


def organisation_labels(email: str) -> set[str]:
    """The label of the email's registrable domain, which names the organisation:
    `cs.ox.ac.uk` -> {"ox"}, `mit.edu` -> {"mit"}. Only that label counts: anyone can name a
    subdomain of their own domain `oxford.example.org`, so subdomains never match."""
    domain = email.rpartition("@")[2].lower().strip(".")
    labels = [label for label in domain.split(".") if label]
    if len(labels) < 2:
        return set()
    # `ac.uk`, `edu.cn`, `co.jp`: a second-level suffix under a country code.
    cut = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in SECOND_LEVEL else 2
    label = labels[-cut]
    if label in WEBMAIL or label in GENERIC or len(label) < 2:
        return set()
    return {label}


def domain_matches(email: str, affiliations: list[str]) -> bool:
    """Whether an affiliation names the email's organisation: a label is one of its words or
    the start of one ("ox" for "Oxford"), or the initials of one of its comma-separated parts
    ("mit" for "Massachusetts Institute of Technology", "cmu" for "..., Carnegie Mellon
    University")."""
    labels = organisation_labels(email)
    if not labels:
        return False
    for affiliation in affiliations:
        for part in affiliation.split(","):
            words = re.findall(r"\w+", names._plain(part))
            initials = "".join(w[0] for w in words if w not in {"of", "the", "and", "for", "de"})
            for label in labels:
                if label in words or (len(label) >= 3 and label == initials):
                    return True
                if any(w.startswith(label) and len(w) <= len(label) + 5 for w in words):
                    return True
    return False


def confirmed_email(user: User) -> str:
    profile = getattr(user, "profile", None)
    if user.is_superuser or (profile is not None and profile.email_confirmed_at):
        return getattr(user, "email", "") or ""
    return ""


def claim(user: User, paper: Paper, position: int) -> Claim:
    """Make a claim (accepted at once when the email domain matches); raises ClaimError."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.banned_at:
        raise ClaimError("This account cannot claim papers.")
    email = confirmed_email(user)
    if not email:
        raise ClaimError("Confirm your email address first: claims are checked against it.")
    if not 0 <= position < len(paper.authors):
        raise ClaimError("Choose one of the paper's author names.")
    if Claim.objects.filter(user=user, status=Claim.PENDING).count() >= MAX_PENDING:
        raise ClaimError(
            f"You have {MAX_PENDING} claims waiting for a curator; wait for them first."
        )
    if (
        Claim.objects.filter(paper=paper, position=position, status=Claim.ACCEPTED)
        .exclude(user=user)
        .exists()
    ):
        raise ClaimError("Someone else has claimed this name on this paper; a curator can help.")
    affiliations = paper.affiliations[position] if position < len(paper.affiliations) else []
    matched = domain_matches(email, affiliations or [])
    author = Author.objects.filter(key=names.key(paper.authors[position])).first()
    try:
        with transaction.atomic():
            made = Claim.objects.create(
                user=user,
                paper=paper,
                position=position,
                author=author,
                status=Claim.ACCEPTED if matched else Claim.PENDING,
                reason=f"email domain matches “{affiliations[0]}”" if matched else "",
                decided_at=timezone.now() if matched else None,
            )
    except IntegrityError:
        raise ClaimError("You have already claimed this paper.") from None
    return made


def decide(made: Claim, curator: User, accept: bool, reason: str = "") -> Claim:
    """A curator's decision. Accepting one claim of a name rejects the others of that name."""
    with transaction.atomic():
        if accept:
            Claim.objects.filter(
                paper=made.paper, position=made.position, status=Claim.ACCEPTED
            ).exclude(pk=made.pk).update(
                status=Claim.REJECTED, reason="another claim of this name was accepted"
            )
        made.status = Claim.ACCEPTED if accept else Claim.REJECTED
        made.reason = reason[:300] or (
            "accepted by a curator" if accept else "rejected by a curator"
        )
        made.decided_at = timezone.now()
        made.decided_by = curator
        made.save()
    return made


def withdraw(user: User, paper: Paper) -> bool:
    """The user takes back their claim of this paper (pending or accepted)."""
    deleted, _ = Claim.objects.filter(user=user, paper=paper).delete()
    return bool(deleted)


def accepted_by_position(paper: Paper) -> dict[int, Claim]:
    return {
        c.position: c
        for c in Claim.objects.filter(paper=paper, status=Claim.ACCEPTED).select_related("user")
    }
