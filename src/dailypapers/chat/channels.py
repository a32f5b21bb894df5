"""Adding and removing channels: the settings page, the admin and the CLI all come here."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User

from dailypapers.chat import addresses
from dailypapers.chat.addresses import ChannelError
from dailypapers.chat.models import Channel
from dailypapers.library.models import Collection

__all__ = ["ChannelError", "add", "prepare", "remove"]


def prepare(channel: Channel) -> None:
    """Check the channel's URL and collection for its owner (none: site-wide) and fill in what
    is shown of the URL; ChannelError if it cannot be used."""
    plugin = addresses.check(channel.url, personal=not channel.site_wide)
    channel.url = channel.url.strip()
    channel.masked = addresses.masked(plugin)
    channel.service = addresses.scheme_of(channel.url)[:40]
    if channel.collection_id:
        collection = channel.collection
        if collection is None or not (
            collection.public or (channel.owner_id and collection.owner_id == channel.owner_id)
        ):
            raise ChannelError(
                "A channel can follow a public collection, or one of its owner's own."
            )
    if channel.site_wide and channel.followed:
        raise ChannelError("Followed authors and searches are a person's: use a personal channel.")


def add(
    url: str,
    *,
    owner: User | None = None,
    name: str = "",
    daily: bool = False,
    weekly: bool = False,
    followed: bool = False,
    collection: Collection | None = None,
) -> Channel:
    if (
        owner is not None
        and Channel.objects.filter(owner=owner).count() >= settings.CHAT_MAX_CHANNELS
    ):
        raise ChannelError(f"You can have {settings.CHAT_MAX_CHANNELS} channels; remove one first.")
    if not (daily or weekly or followed or collection):
        raise ChannelError("Choose what the channel receives.")
    channel = Channel(
        owner=owner,
        name=" ".join(name.split())[:100],
        url=url,
        daily=daily,
        weekly=weekly,
        followed=followed,
        collection=collection,
    )
    prepare(channel)
    channel.save()
    return channel


def remove(channel_id: int, owner: User | None) -> bool:
    """Remove a channel of this owner (None: a site-wide one); True if there was one."""
    deleted, _ = Channel.objects.filter(pk=channel_id, owner=owner).delete()
    return bool(deleted)
