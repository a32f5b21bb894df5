"""A new comment is fanned out to the people it concerns (people/notify.py)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from dailypapers.community.models import Comment
from dailypapers.people import notify


@receiver(post_save, sender=Comment)
def _comment_saved(sender: type, instance: Comment, created: bool, **kwargs: Any) -> None:
    if created:  # in the comment's transaction: both are written, or neither
        notify.on_comment(instance)
