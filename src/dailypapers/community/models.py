"""People and what they do here: profiles, votes, comments; and the rate-limit counters."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dailypapers.papers.models import Paper


class Profile(models.Model):
    """What Django's User lacks: email confirmation and bans."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    banned_at = models.DateTimeField(null=True, blank=True)
    ban_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        permissions = [("ban_user", "Can ban and unban people")]

    def __str__(self) -> str:
        return f"profile of {self.user}"


class Vote(models.Model):
    """One upvote: one per user per paper."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_vote_per_paper")]
        indexes = [models.Index(fields=["user", "-created_at"], name="vote_user_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user} ▲ {self.paper_id}"


class Comment(models.Model):
    """A comment in Markdown, kept with its sanitized HTML; replies are one level deep."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(help_text="Markdown, as written.")
    body_html = models.TextField(help_text="Rendered and sanitized; what pages show.")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hidden_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["paper", "created_at"], name="comment_paper_idx")]
        permissions = [("moderate_comment", "Can hide and show comments")]

    def __str__(self) -> str:
        return f"comment {self.pk} by {self.author} on {self.paper_id}"


class RateLimit(models.Model):
    """A fixed-window counter per key (scope and user or address), updated atomically."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class Reaction(models.Model):
    """One user's reaction to a comment, from a small fixed set; at most one of each per user.
    Counts are computed from the rows (never a stored counter), so racing clicks stay exact."""

    EMOJI = {"+1": "👍", "heart": "❤️", "tada": "🎉", "thinking": "🤔", "eyes": "👀", "rocket": "🚀"}

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=10, choices=[(k, v) for k, v in EMOJI.items()])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user", "emoji"], name="reaction_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.emoji} on {self.comment_id}"
