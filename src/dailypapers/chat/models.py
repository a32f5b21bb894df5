"""Chat channels (an Apprise URL and what it receives) and one delivery row per message.

A channel without an owner is the operator's (site-wide, made in the admin or by the CLI); a
channel with one is that user's (made on their settings page). A delivery is the outbox of one
message to one channel, under a key unique per channel (`daily:2026-12-07`, `weekly:2026-W49`,
`notification:<id>`, `search:<follow id>:<day>`, `collection:<id>:<item id>`): written before
anything is sent, claimed once, retried with backoff (chat/sending.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dailypapers.library.models import Collection


class Channel(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_channels",
        help_text="Empty: a site-wide channel (the operator's).",
    )
    name = models.CharField(max_length=100, blank=True)
    url = models.TextField(help_text="The Apprise URL. A secret: it is never shown in full.")
    masked = models.CharField(
        max_length=500, blank=True, help_text="The URL with its secrets hidden (Apprise's)."
    )
    service = models.CharField(max_length=40, blank=True, help_text="The URL's scheme.")
    daily = models.BooleanField(default=False, help_text="The day's picks of the Daily feed.")
    weekly = models.BooleanField(default=False, help_text="The week's top papers, on Monday.")
    followed = models.BooleanField(
        default=False,
        help_text="New papers of the owner's followed authors and searches (personal channels).",
    )
    collection = models.ForeignKey(
        Collection,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Papers added to this collection (public, or the owner's).",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    planned_until = models.DateTimeField(
        null=True, blank=True, help_text="Notifications and additions are planned up to here."
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name or self.masked or f"channel {self.pk}"

    @property
    def site_wide(self) -> bool:
        return self.owner_id is None

    def receives(self) -> list[str]:
        what = []
        if self.daily:
            what.append("daily picks")
        if self.weekly:
            what.append("weekly summary")
        if self.followed:
            what.append("followed authors and searches")
        if self.collection_id:
            what.append(f"additions to “{self.collection}”")
        return what


class ChatDelivery(models.Model):
    """One message to one channel: claimed, sent once, retried, or given up."""

    PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
    STATUSES = [(s, s) for s in (PENDING, SENDING, SENT, FAILED, SKIPPED)]

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    key = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "chat deliveries"
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="one_chat_message_per_key")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="chat_due_idx")]

    def __str__(self) -> str:
        return f"{self.key} to {self.channel_id}: {self.status}"
