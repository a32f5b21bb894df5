"""Checking again, under the rule of `domains.verifies`, what was accepted by email domain.

`dailypapers authors recheck` runs it (after the upgrade that brought the rule, and whenever a
curator has changed the table of institution domains). Claims and memberships accepted by a
curator are left alone. One accepted by domain that no longer verifies returns to pending, its
evidence stored for the curator, and its holder gets one email listing what changed (plain mail
through the site's mailer: the `authors` app sits below `notifications`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.template.loader import render_to_string

from dailypapers.authors import domains
from dailypapers.authors.claims import confirmed_email
from dailypapers.authors.models import Claim, Membership
from dailypapers.core.mail import DigestMessage

log = logging.getLogger(__name__)
REASON = "checked again under the institution-domain rule: waits for a curator"


@dataclass
class Rechecked:
    checked: int = 0
    kept: int = 0
    pending: int = 0
    mailed: int = 0
    changes: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def _affiliations(made: Claim) -> list[str]:
    per_author = made.paper.affiliations or []
    found = per_author[made.position] if made.position < len(per_author) else []
    return [a for a in found if isinstance(a, str)] if isinstance(found, list) else []


def recheck(dry_run: bool = False, mail: bool = True) -> Rechecked:
    """Check every claim and membership accepted by domain; returns the counts."""
    report = Rechecked()
    changed: dict[int, list[tuple[str, str]]] = defaultdict(list)
    holders: dict[int, User] = {}
    claims = Claim.objects.filter(status=Claim.ACCEPTED, by_domain=True)
    for made in claims.select_related("user", "user__profile", "paper").order_by("pk"):
        report.checked += 1
        email = confirmed_email(made.user)
        evidence = domains.verifies(email, _affiliations(made))
        if evidence.verified:
            report.kept += 1
            if not dry_run:
                Claim.objects.filter(pk=made.pk).update(email=email, evidence=evidence.text)
            continue
        report.pending += 1
        holders[made.user_id] = made.user
        url = f"{settings.SITE_URL}{made.paper.get_absolute_url()}"
        changed[made.user_id].append((f"Your claim to be {made.name} on “{made.paper.title}”", url))
        if not dry_run:
            with transaction.atomic():
                Claim.objects.filter(pk=made.pk, status=Claim.ACCEPTED, by_domain=True).update(
                    status=Claim.PENDING,
                    by_domain=False,
                    decided_at=None,
                    reason=REASON,
                    email=email,
                    evidence=evidence.text,
                )
    members = Membership.objects.filter(status=Membership.ACCEPTED, by_domain=True)
    for member in members.select_related("user", "user__profile", "organization").order_by("pk"):
        report.checked += 1
        email = confirmed_email(member.user)
        evidence = domains.verifies(email, [member.organization.name])
        if evidence.verified:
            report.kept += 1
            if not dry_run:
                Membership.objects.filter(pk=member.pk).update(email=email, evidence=evidence.text)
            continue
        report.pending += 1
        holders[member.user_id] = member.user
        url = f"{settings.SITE_URL}{member.organization.get_absolute_url()}"
        changed[member.user_id].append((f"Your membership of {member.organization.name}", url))
        if not dry_run:
            Membership.objects.filter(pk=member.pk, status=Membership.ACCEPTED).update(
                status=Membership.PENDING,
                by_domain=False,
                decided_at=None,
                reason=REASON,
                email=email or member.email,
                evidence=evidence.text,
            )
    report.changes = dict(changed)
    if mail and not dry_run:
        for user_id, items in changed.items():
            report.mailed += _tell(holders[user_id], items)
    return report


def _tell(user: User, items: list[tuple[str, str]]) -> int:
    """One email to the holder (to their confirmed address); 1 when sent."""
    to = confirmed_email(user) or ""
    if not to or not user.is_active:
        return 0
    context = {"user": user, "items": items}
    text = render_to_string("people/email/rechecked.txt", context)
    subject, _, body = text.partition("\n")
    message = DigestMessage(subject.strip(), body.lstrip(), to=[to])
    message.attach_alternative(
        render_to_string("people/email/rechecked.html", context), "text/html"
    )
    try:
        message.send()
    except Exception:  # one bad address never stops the others
        log.exception("could not tell user %s that their claims were checked again", user.pk)
        return 0
    return 1
