"""Membership of an organization, by the rule of claims (`domains.verifies`): accepted at once
when the confirmed address's registrable domain is an official domain of the institution the
organization's name names; otherwise it waits for a curator (admin, "Memberships"), who sees
the evidence. Only accepted members are shown on the organization's page."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.authors import domains
from dailypapers.authors.claims import MAX_PENDING, ClaimError, confirmed_email, lock_user
from dailypapers.authors.models import Membership, Organization


def would_verify(user: User, org: Organization) -> domains.Evidence | None:
    """What joining would say (None without a confirmed address)."""
    email = confirmed_email(user)
    return domains.verifies(email, [org.name]) if email else None


def join(user: User, org: Organization) -> Membership:
    """Ask to be a member; accepted at once when the domain verifies. Raises ClaimError."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.banned_at:
        raise ClaimError("This account cannot join organizations.")
    email = confirmed_email(user)
    if not email:
        raise ClaimError("Confirm your email address first: memberships are checked against it.")
    evidence = domains.verifies(email, [org.name])
    try:
        with transaction.atomic():
            lock_user(user)
            found = Membership.objects.filter(user=user, organization=org).first()
            if found is not None:
                return found
            pending = Membership.objects.filter(user=user, status=Membership.PENDING)
            if not evidence.verified and pending.count() >= MAX_PENDING:
                raise ClaimError(
                    f"You have {MAX_PENDING} memberships waiting for a curator; wait for them."
                )
            return Membership.objects.create(
                user=user,
                organization=org,
                **evidence.decision(),
            )
    except IntegrityError:
        return Membership.objects.get(user=user, organization=org)


def leave(user: User, org: Organization) -> bool:
    deleted, _ = Membership.objects.filter(user=user, organization=org).delete()
    return bool(deleted)


def decide(made: Membership, curator: User, accept: bool, reason: str = "") -> Membership:
    made.status = Membership.ACCEPTED if accept else Membership.REJECTED
    made.reason = reason[:300] or ("accepted by a curator" if accept else "rejected by a curator")
    made.decided_at = timezone.now()
    made.decided_by = curator
    made.by_domain = False
    made.save()
    return made
