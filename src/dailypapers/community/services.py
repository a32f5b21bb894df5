"""What people do here: vote, comment, submit, confirm an address. Views and the API call these."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.models import Session
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dailypapers.community.markdown import render_markdown
from dailypapers.community.models import Comment, Profile, Reaction, Vote
from dailypapers.community.ratelimit import recipient_allowed
from dailypapers.core.conf import domain_name
from dailypapers.feed import curation
from dailypapers.feed.models import DailyEntry
from dailypapers.ingest.submit import Submission, SubmitError, submit_paper
from dailypapers.papers.models import Paper

log = logging.getLogger(__name__)


class ActionError(ValueError):
    """The action is not allowed; the message is fit for the person who tried."""


# --- votes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteState:
    voted: bool
    upvotes: int


def set_vote(user: User, paper: Paper, voted: bool) -> VoteState:
    """Make the user's vote on the paper be `voted`; idempotent, exact under concurrency.

    Any catalogue paper can be upvoted; reaching the votes rule's count puts a recent one in the
    feed (papers/curation.py). The vote row's unique constraint decides: only the insert that
    creates the row, or the delete that removes it, moves the counter, so racing requests can
    never count a vote twice. Three statements in one short write transaction (`INSERT ... ON
    CONFLICT DO NOTHING RETURNING`, `DELETE ... RETURNING`, `UPDATE ... RETURNING`; SQLite 3.35+
    and PostgreSQL): votes are the busiest writes, and each statement less is less time holding
    SQLite's write lock.
    """
    q = connection.ops.quote_name
    votes, papers = q(Vote._meta.db_table), q(Paper._meta.db_table)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if voted:
            cursor.execute(
                f"INSERT INTO {votes} (user_id, paper_id, created_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING id",
                [user.pk, paper.pk, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
        else:
            cursor.execute(
                f"DELETE FROM {votes} WHERE user_id = %s AND paper_id = %s RETURNING id",
                [user.pk, paper.pk],
            )
        if cursor.fetchone() is not None:  # this request made the change: move the counter
            cursor.execute(
                f"UPDATE {papers} SET upvotes_local = upvotes_local + %s WHERE id = %s "
                "RETURNING upvotes, upvotes_local",
                [1 if voted else -1, paper.pk],
            )
        else:
            cursor.execute(f"SELECT upvotes, upvotes_local FROM {papers} WHERE id = %s", [paper.pk])
        upvotes, local = cursor.fetchone()
    if voted:
        curation.promote_by_votes(paper, local)
    return VoteState(voted=voted, upvotes=upvotes)


def voted_papers(user: User | AnonymousUser, paper_ids: list[int]) -> set[int]:
    """Which of these papers the user has upvoted (one query)."""
    if not user.is_authenticated or not paper_ids:
        return set()
    return set(
        Vote.objects.filter(user=user, paper_id__in=paper_ids).values_list("paper_id", flat=True)
    )


# --- comments ----------------------------------------------------------------------------------

MAX_COMMENT_CHARS = 10_000


def _check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ActionError("A comment cannot be empty.")
    if len(body) > MAX_COMMENT_CHARS:
        raise ActionError(f"A comment can be at most {MAX_COMMENT_CHARS:,} characters.")
    return body


def add_comment(user: User, paper: Paper, body: str, parent: Comment | None = None) -> Comment:
    """A comment, or a reply; a reply to a reply joins its thread (one level deep)."""
    body = _check_body(body)
    if parent is not None:
        if parent.paper_id != paper.pk:
            raise ActionError("That comment belongs to another paper.")
        parent = parent.parent or parent
    with transaction.atomic():
        comment = Comment.objects.create(
            paper=paper, author=user, parent=parent, body=body, body_html=render_markdown(body)
        )
        Paper.objects.filter(pk=paper.pk).update(comments_local=F("comments_local") + 1)
    return comment


def toggle_reaction(user: User, comment: Comment, emoji: str) -> bool:
    """Add the user's reaction, or take it back if it is there; returns whether it is there now.
    Two clicks racing end in one row (the unique constraint), never two."""
    if emoji not in Reaction.EMOJI:
        raise ActionError("Choose one of the reactions offered.")
    if comment.hidden:
        raise ActionError("A hidden comment takes no reactions.")
    deleted, _ = Reaction.objects.filter(comment=comment, user=user, emoji=emoji).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Reaction.objects.create(comment=comment, user=user, emoji=emoji)
    except IntegrityError:
        pass  # the same click, twice at once: it is there
    return True


@dataclass
class ReactionCount:
    key: str
    emoji: str
    count: int
    mine: bool


def reactions_of(
    comment_ids: list[int], user: User | AnonymousUser
) -> dict[int, list[ReactionCount]]:
    """Per comment, its reactions in the offered order with counts and whether the user gave
    each: one query for a page's comments."""
    counts: dict[int, dict[str, int]] = {}
    mine: set[tuple[int, str]] = set()
    rows = Reaction.objects.filter(comment_id__in=comment_ids).values_list(
        "comment_id", "emoji", "user_id"
    )
    for comment_id, emoji, user_id in rows:
        counts.setdefault(comment_id, {}).setdefault(emoji, 0)
        counts[comment_id][emoji] += 1
        if user.is_authenticated and user_id == user.pk:
            mine.add((comment_id, emoji))
    return {
        comment_id: [
            ReactionCount(key, Reaction.EMOJI[key], found[key], (comment_id, key) in mine)
            for key in Reaction.EMOJI
            if key in found
        ]
        for comment_id, found in counts.items()
    }


def can_edit(user: User | AnonymousUser, comment: Comment, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    window = dt.timedelta(minutes=settings.COMMENT_EDIT_MINUTES)
    return (
        user.is_authenticated
        and comment.author_id == user.pk
        and not comment.hidden
        and now - comment.created_at <= window
    )


def edit_comment(user: User, comment: Comment, body: str) -> Comment:
    if not can_edit(user, comment):
        raise ActionError(
            f"Comments can be edited by their author for {settings.COMMENT_EDIT_MINUTES} minutes."
        )
    comment.body = _check_body(body)
    comment.body_html = render_markdown(comment.body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    return comment


def set_hidden(moderator: User, comment: Comment, hidden: bool, reason: str = "") -> None:
    """Hide or show a comment; the paper's comment count follows what readers can see."""
    if not moderator.has_perm("community.moderate_comment"):
        raise ActionError("Only moderators can hide comments.")
    with transaction.atomic():
        changed = Comment.objects.filter(pk=comment.pk, hidden=not hidden).update(
            hidden=hidden,
            hidden_by=moderator if hidden else None,
            hidden_reason=reason[:300] if hidden else "",
        )
        if changed:
            step = -1 if hidden else 1
            Paper.objects.filter(pk=comment.paper_id).update(
                comments_local=F("comments_local") + step
            )
    comment.refresh_from_db()


# --- accounts ----------------------------------------------------------------------------------


def signup_restricted() -> bool:
    """Whether sign-up is limited to invited addresses and allowed domains: on a private
    instance, or when either list is set."""
    return bool(settings.PRIVATE or settings.SIGNUP_DOMAINS or settings.SIGNUP_INVITED)


def signup_open_to(email: str) -> bool:
    """Whether this address may make an account: an invited address, or one whose domain (the
    part after the last `@`, in its ASCII form) is exactly an allowed domain."""
    if not signup_restricted():
        return True
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return False
    try:
        address = f"{local.lower()}@{domain_name(domain)}"
    except ValueError:
        return False
    return address in settings.SIGNUP_INVITED or address.rpartition("@")[2] in set(
        settings.SIGNUP_DOMAINS
    )


class EmailConfirmationTokens(PasswordResetTokenGenerator):
    """One-time links: the token stops working once the address is confirmed."""

    key_salt = "dailypapers.community.EmailConfirmationTokens"

    def _make_hash_value(self, user: AbstractBaseUser, timestamp: int) -> str:
        assert isinstance(user, User)  # the user model (AUTH_USER_MODEL is Django's)
        profile = Profile.objects.get_or_create(user=user)[0]
        return f"{user.pk}{user.email}{profile.email_confirmed_at}{timestamp}"


confirmation_tokens = EmailConfirmationTokens()


def send_email(to: str, template: str, context: dict) -> bool:
    """A message from a template pair: `<template>.txt` (subject on its first line) and `.html`.

    Not sent (False) past the recipient's `mail-to` limit, so that nobody can flood an address
    by asking for confirmations on its behalf.
    """
    if not recipient_allowed(to):
        log.warning("mail to %s not sent: past its mail-to limit", to)
        return False
    text = render_to_string(f"{template}.txt", context)
    subject, _, body = text.partition("\n")
    message = EmailMultiAlternatives(subject.strip(), body.lstrip(), to=[to])
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
    return True


def send_confirmation(user: User, base_url: str) -> bool:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = confirmation_tokens.make_token(user)
    link = f"{base_url.rstrip('/')}/accounts/confirm/{uid}/{token}"
    return send_email(user.email, "community/email/confirm", {"user": user, "link": link})


def send_account_exists(user: User, base_url: str) -> None:
    """Sign-up with an address that has an account: its owner is told, the visitor is not."""
    base = base_url.rstrip("/")
    links = {"login": f"{base}/accounts/login", "reset": f"{base}/accounts/password-reset"}
    send_email(user.email, "community/email/account_exists", {"user": user, **links})


def confirm_email(user: User, token: str) -> bool:
    if not confirmation_tokens.check_token(user, token):
        return False
    Profile.objects.update_or_create(user=user, defaults={"email_confirmed_at": timezone.now()})
    return True


def email_confirmed(user: User) -> bool:
    """False only for people who signed up here and have not confirmed yet (not for accounts
    made by `createsuperuser` or the admin, which have no profile)."""
    return not Profile.objects.filter(user=user, email_confirmed_at__isnull=True).exists()


def end_sessions(user: User) -> int:
    """Delete every session signed in as `user` (a ban: unbanning must not revive them)."""
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def set_banned(moderator: User, user: User, banned: bool, reason: str = "") -> None:
    """A banned person cannot sign in; their sessions end at their next request."""
    if not moderator.has_perm("community.ban_user"):
        raise ActionError("Only moderators can ban people.")
    if user.is_superuser:
        raise ActionError("Superusers cannot be banned here.")
    with transaction.atomic():
        Profile.objects.update_or_create(
            user=user,
            defaults={
                "banned_at": timezone.now() if banned else None,
                "ban_reason": reason[:300] if banned else "",
            },
        )
        User.objects.filter(pk=user.pk).update(is_active=not banned)
        if banned:
            end_sessions(user)


# --- submissions -------------------------------------------------------------------------------


def submit_as(user: User, text: str) -> Submission:
    """Submit a paper by arXiv id for this person, within their daily allowance.

    A paper already in the feed is not added again: the submitter's upvote is counted instead.
    Curators (permission `feed.feature_paper`) may add papers of any age.
    """
    since = timezone.now() - dt.timedelta(days=1)
    today_count = DailyEntry.objects.filter(submitted_by=user, submitted_at__gte=since).count()
    if today_count >= settings.SUBMISSIONS_PER_DAY:
        raise ActionError(
            f"You can submit {settings.SUBMISSIONS_PER_DAY} papers a day; try again tomorrow."
        )
    try:
        submission = submit_paper(text, user=user, curator=user.has_perm("feed.feature_paper"))
    except SubmitError as exc:
        raise ActionError(str(exc)) from None
    if not submission.created:
        set_vote(user, submission.paper, True)
    return submission
