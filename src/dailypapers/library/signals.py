"""A change to a reader's library marks their "For you" picks stale."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from dailypapers.authors.models import Claim
from dailypapers.community.models import Vote
from dailypapers.library.foryou import mark_stale
from dailypapers.library.models import CollectionItem
from dailypapers.notifications.models import Follow


def _item_changed(sender: type, instance: CollectionItem, **kwargs: Any) -> None:
    owner = (
        type(instance.collection)
        .objects.filter(pk=instance.collection_id)
        .values_list("owner_id", flat=True)
        .first()
    )
    if owner:
        mark_stale(owner)


def _user_row_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    if getattr(instance, "user_id", None):
        mark_stale(instance.user_id)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_item_changed, sender=CollectionItem, dispatch_uid=f"foryou-item-{signal}")
        for model in (Vote, Claim, Follow):
            signal.connect(
                _user_row_changed, sender=model, dispatch_uid=f"foryou-{model.__name__}-{signal}"
            )
