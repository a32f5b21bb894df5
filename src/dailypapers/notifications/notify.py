"""Who is told of what: the fan-out of notifications.

- A comment tells, once each and never its own author: the author of the comment it replies
  to (`reply`), the users it mentions as `@name` (`mention`), the person who submitted the
  paper to the feed (`submitted`) and the accounts that claimed the paper (`claimed`); a person
  who fits several kinds gets the first of them only.
- A paper newly linked to an author tells that author's followers (`new_paper`), once per
  paper, when the author index applies the change in the worker; papers published more than
  `NEW_PAPER_DAYS` ago (an old paper imported late) tell no one.
Unique constraints make every fan-out idempotent: a retried batch adds nothing twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q
from django.utils import timezone

from dailypapers.authors.models import Author, Claim
from dailypapers.community.models import Comment
from dailypapers.feed.models import DailyEntry
from dailypapers.notifications.models import Follow, Notification
from dailypapers.papers.models import Paper

MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9_.+-]{1,150})")
MAX_MENTIONS = 20
NEW_PAPER_DAYS = 14
BATCH = 2000


def mentioned(body: str) -> list[User]:
    """The existing users a comment names as `@name` (a trailing full stop is not part of it)."""
    found = {name.rstrip(".") for name in MENTION.findall(body)}
    found.discard("")
    if not found:
        return []
    users = get_user_model().objects.filter(username__in=list(found)[:MAX_MENTIONS], is_active=True)
    return list(users)


def on_comment(comment: Comment) -> int:
    """Fan a new comment out; returns how many people were notified."""
    actor = comment.author_id
    recipients: dict[int, str] = {}

    def add(user_id: int | None, kind: str) -> None:
        if user_id and user_id != actor and user_id not in recipients:
            recipients[user_id] = kind

    if comment.parent_id:
        add(
            Comment.objects.filter(pk=comment.parent_id)
            .values_list("author_id", flat=True)
            .first(),
            Notification.REPLY,
        )
    for user in mentioned(comment.body):
        add(user.pk, Notification.MENTION)
    add(
        DailyEntry.objects.filter(paper_id=comment.paper_id)
        .values_list("submitted_by_id", flat=True)
        .first(),
        Notification.SUBMITTED,
    )
    for user_id in Claim.objects.filter(
        paper_id=comment.paper_id, status=Claim.ACCEPTED
    ).values_list("user_id", flat=True):
        add(user_id, Notification.CLAIMED)
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=kind,
                actor_id=actor,
                paper_id=comment.paper_id,
                comment=comment,
            )
            for user_id, kind in recipients.items()
        ],
        ignore_conflicts=True,
    )
    return len(recipients)


def on_new_links(pairs: Iterable[tuple[int, int]]) -> int:
    """Tell the followers of authors newly linked to papers (`(paper_id, author_id)` pairs);
    returns how many notifications were made."""
    pairs = list(pairs)
    if not pairs:
        return 0
    since = timezone.now() - dt.timedelta(days=NEW_PAPER_DAYS)
    recent = set(
        Paper.objects.filter(pk__in={p for p, _ in pairs})
        .filter(Q(published_at__gte=since) | Q(published_at__isnull=True, created_at__gte=since))
        .values_list("pk", flat=True)
    )
    pairs = [(p, a) for p, a in pairs if p in recent]
    if not pairs:
        return 0
    # Followers follow an author's page: the written form itself, or the one it is merged into.
    authors = {a.pk: a for a in Author.objects.filter(pk__in={a for _, a in pairs})}
    page_of = {pk: (a.merged_into_id or pk) for pk, a in authors.items()}
    keys = dict(Author.objects.filter(pk__in=set(page_of.values())).values_list("pk", "key"))
    followers: dict[str, list[int]] = {}
    for user_id, key in Follow.objects.filter(
        kind=Follow.AUTHOR, value__in=list(keys.values())
    ).values_list("user_id", "value"):
        followers.setdefault(key, []).append(user_id)
    made = 0
    notes: list[Notification] = []
    for paper_id, author_id in pairs:
        page = page_of.get(author_id)
        if page is None:  # no such author (any more): nobody follows its page
            continue
        for user_id in followers.get(keys.get(page, ""), []):
            notes.append(
                Notification(
                    user_id=user_id, kind=Notification.NEW_PAPER, paper_id=paper_id, author_id=page
                )
            )
            if len(notes) >= BATCH:
                made += len(Notification.objects.bulk_create(notes, ignore_conflicts=True))
                notes = []
    made += len(Notification.objects.bulk_create(notes, ignore_conflicts=True))
    return made


def unread_count(user: User | AnonymousUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def describe(note: Notification) -> str:
    """One line for the menu and the email: who did what."""
    who = note.actor.get_username() if note.actor else ""
    title = note.paper.title
    by = note.author.name if note.author else "an author you follow"
    return {
        Notification.REPLY: f"{who} replied to your comment on “{title}”",
        Notification.MENTION: f"{who} mentioned you on “{title}”",
        Notification.SUBMITTED: f"{who} commented on “{title}”, which you submitted",
        Notification.CLAIMED: f"{who} commented on “{title}”, which you claimed",
        Notification.NEW_PAPER: f"New paper by {by}: “{title}”",
    }.get(note.kind, title)
