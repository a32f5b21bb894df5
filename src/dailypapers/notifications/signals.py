"""What notifications listen to: a new comment (fanned out to the people it concerns), and
authors newly linked to papers by the author index (their followers are told)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from dailypapers.authors.signals import authors_linked
from dailypapers.community.models import Comment
from dailypapers.notifications import notify


@receiver(post_save, sender=Comment)
def _comment_saved(sender: type, instance: Comment, created: bool, **kwargs: Any) -> None:
    if created:  # in the comment's transaction: both are written, or neither
        notify.on_comment(instance)


@receiver(authors_linked)
def _authors_linked(sender: type, pairs: set[tuple[int, int]], **kwargs: Any) -> None:
    notify.on_new_links(pairs)  # in the index's transaction: links and notices, or neither
