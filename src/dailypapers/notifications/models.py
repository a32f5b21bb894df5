"""Follows and notifications: what a reader follows, and what they are told.

The tables kept their first names (`people_follow`, `people_notification`,
`people_notificationsettings`) when the models moved here from the authors app (label `people`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dailypapers.authors.models import Author
from dailypapers.papers.models import Paper


class Follow(models.Model):
    """What a user follows: an author (its key), a category, or a search."""

    AUTHOR, CATEGORY, QUERY = "author", "category", "query"
    KINDS = [(AUTHOR, "author"), (CATEGORY, "category"), (QUERY, "search")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    kind = models.CharField(max_length=10, choices=KINDS)
    value = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "people_follow"
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "value"], name="follow_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.kind} {self.value}"


class Notification(models.Model):
    """Something that happened that a user is told of, in the bell menu and by email."""

    REPLY, MENTION, SUBMITTED, CLAIMED, NEW_PAPER = (
        "reply",
        "mention",
        "submitted",
        "claimed",
        "new_paper",
    )
    KINDS = [
        (REPLY, "a reply to your comment"),
        (MENTION, "a mention of you"),
        (SUBMITTED, "a comment on a paper you submitted"),
        (CLAIMED, "a comment on a paper you claimed"),
        (NEW_PAPER, "a new paper by an author you follow"),
    ]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=KINDS)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(
        "community.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "people_notification"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]
        constraints = [
            # Each comment tells each person once; each new paper tells each follower once.
            models.UniqueConstraint(
                fields=["user", "comment"],
                condition=models.Q(comment__isnull=False),
                name="notify_once_per_comment",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "paper"],
                condition=models.Q(comment__isnull=True),
                name="notify_once_per_paper",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} on {self.paper_id}"


class NotificationSettings(models.Model):
    """A user's choice of which notifications also come by email (all, by default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_off = models.JSONField(default=list, blank=True, help_text="Kinds not sent by email.")
    token = models.CharField(max_length=64, unique=True, help_text="For one-click unsubscribe.")

    class Meta:
        db_table = "people_notificationsettings"

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"
