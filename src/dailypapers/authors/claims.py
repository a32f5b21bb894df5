"""Claiming authorship of a paper.

A signed-in user with a confirmed email says which of a paper's author names is theirs. The
claim is accepted at once only when the address's registrable domain is an official domain of
the institution that author's affiliation on the paper names (`domains.verifies`:
"ada@cs.ox.ac.uk" and "Department of Physics, University of Oxford"); otherwise it waits for a
curator (admin, "Claims"), who sees the evidence and accepts or rejects it. Limits against
abuse: one claim per paper and user, at most `MAX_PENDING` claims waiting per user (counted and
inserted with the user's row locked, so parallel requests cannot pass it), a name already
claimed by someone else cannot be claimed again (a curator can reassign it), a banned user
cannot claim.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.authors import domains, names
from dailypapers.authors.models import Author, Claim
from dailypapers.papers.models import Paper

MAX_PENDING = 20


class ClaimError(Exception):
    """The claim cannot be made; the message says why, for the user."""


def lock_user(user: User) -> None:
    """Serialise one user's writes that count before inserting: the user's row locked on
    PostgreSQL (`SELECT ... FOR UPDATE`); SQLite's IMMEDIATE transactions already take the
    write lock when they begin. Call inside `transaction.atomic()`."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def confirmed_email(user: User) -> str:
    profile = getattr(user, "profile", None)
    if user.is_superuser or (profile is not None and profile.email_confirmed_at):
        return getattr(user, "email", "") or ""
    return ""


def claim(user: User, paper: Paper, position: int) -> Claim:
    """Make a claim (accepted at once when the address's domain is the affiliation's
    institution's); raises ClaimError."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.banned_at:
        raise ClaimError("This account cannot claim papers.")
    email = confirmed_email(user)
    if not email:
        raise ClaimError("Confirm your email address first: claims are checked against it.")
    if not 0 <= position < len(paper.authors):
        raise ClaimError("Choose one of the paper's author names.")
    affiliations = paper.affiliations[position] if position < len(paper.affiliations) else []
    evidence = domains.verifies(email, affiliations if isinstance(affiliations, list) else [])
    author = Author.objects.filter(key=names.key(paper.authors[position])).first()
    try:
        with transaction.atomic():
            lock_user(user)
            if (
                not evidence.verified
                and Claim.objects.filter(user=user, status=Claim.PENDING).count() >= MAX_PENDING
            ):
                raise ClaimError(
                    f"You have {MAX_PENDING} claims waiting for a curator; wait for them first."
                )
            if (
                Claim.objects.filter(paper=paper, position=position, status=Claim.ACCEPTED)
                .exclude(user=user)
                .exists()
            ):
                raise ClaimError(
                    "Someone else has claimed this name on this paper; a curator can help."
                )
            if Claim.objects.filter(user=user, paper=paper).exists():
                raise ClaimError("You have already claimed this paper.")
            made = Claim.objects.create(
                user=user,
                paper=paper,
                position=position,
                author=author,
                **evidence.decision(),
            )
    except IntegrityError:
        # Another request of this name or paper won the race.
        raise ClaimError("This name or paper was claimed meanwhile; a curator can help.") from None
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
        made.by_domain = False
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
