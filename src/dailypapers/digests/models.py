"""Subscriptions to the digest, and one delivery row per subscriber and period."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Subscription(models.Model):
    DAILY, WEEKLY = "daily", "weekly"
    FREQUENCIES = [(DAILY, "Daily"), (WEEKLY, "Weekly")]

    email = models.EmailField(unique=True, help_text="Stored lower-cased.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscriptions",
    )
    frequency = models.CharField(max_length=10, choices=FREQUENCIES, default=DAILY)
    categories = models.JSONField(default=list, blank=True, help_text="arXiv categories first.")
    keywords = models.JSONField(default=list, blank=True, help_text="Words or phrases first.")
    for_you = models.BooleanField(
        default=False,
        db_default=False,
        help_text='Add the account\'s "For you" picks (needs `user`).',
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    hard_failures = models.PositiveIntegerField(default=0, help_text="Consecutive 5xx answers.")
    bounced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["frequency", "confirmed_at"], name="subscription_active_idx")
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def active(self) -> bool:
        return bool(self.confirmed_at and not self.unsubscribed_at and not self.bounced_at)


class Delivery(models.Model):
    """The digest of one period for one subscriber: claimed, sent once, retried, or given up."""

    PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
    STATUSES = [(s, s) for s in (PENDING, SENDING, SENT, FAILED, SKIPPED)]

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    period = models.CharField(max_length=30, help_text="daily:YYYY-MM-DD or weekly:YYYY-Www")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"], name="one_delivery_per_period"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.period} to {self.subscription_id}: {self.status}"
