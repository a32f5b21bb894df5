"""Which Apprise URLs a channel may hold, and what is shown of them.

An operator's site-wide channel may use any URL Apprise understands. A personal channel's URL
is chosen by a user, and the worker posts to it from inside the instance's network, so it is
held to more (against server-side request forgery):
- its scheme must be one of `DAILYPAPERS_CHAT_USER_SCHEMES` (public services by default);
- a service whose host is the service's own (Slack, Discord, Telegram, Google Chat, ntfy.sh)
  is posted to there whatever the URL says; for every other scheme the URL's host is resolved
  and each of its addresses must be a public one (no loopback, private, link-local, reserved
  or multicast address), unless `DAILYPAPERS_CHAT_USER_PRIVATE` allows it. The check runs when
  the channel is saved and again before each message (a name may be re-pointed).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import apprise
from django.conf import settings

# Schemes whose plugin posts to the service's own fixed host, never to one named by the URL.
FIXED_HOST_SCHEMES = {"slack", "discord", "tgram", "gchat"}
MAX_URL = 2000


class ChannelError(ValueError):
    """The URL cannot be used; the message is fit for the person who gave it."""


class Unresolvable(ChannelError):
    """The URL's host has no address now (perhaps for a while: the worker tries again later)."""


def scheme_of(url: str) -> str:
    return url.partition("://")[0].strip().lower()


def plugin_for(url: str) -> Any:
    """Apprise's plugin for the URL, or ChannelError."""
    url = url.strip()
    if not url or len(url) > MAX_URL or "://" not in url:
        raise ChannelError("Enter an Apprise URL, such as slack://TokenA/TokenB/TokenC.")
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise ChannelError(
            f"Apprise does not understand this {scheme_of(url)[:20]}:// URL; see the "
            "examples in the help."
        )
    return plugin


def masked(plugin: Any) -> str:
    """The URL with its tokens and passwords hidden, without Apprise's default options."""
    text = plugin.url(privacy=True)
    return text.partition("?")[0][:500]


def fixed_host(scheme: str, plugin: Any) -> bool:
    if scheme in FIXED_HOST_SCHEMES:
        return True
    # ntfy without a host of its own is ntfy.sh (Apprise's "cloud" mode).
    return scheme in ("ntfy", "ntfys") and getattr(plugin, "mode", "") == "cloud"


def public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_host(host: str, port: int | None) -> None:
    """Every address the host resolves to is public; else ChannelError."""
    host = host.strip().removeprefix("[").removesuffix("]")  # an IPv6 literal: [::1]
    if not host:
        raise ChannelError("The URL names no host.")
    try:
        found = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise Unresolvable(f"The host {host[:100]} cannot be resolved.") from None
    for *_, sockaddr in found:
        if not public(str(sockaddr[0])):
            raise ChannelError(
                f"The host {host[:100]} is a private or local address; personal channels may "
                "only post to public services."
            )


def check(url: str, *, personal: bool) -> Any:
    """The plugin for a channel's URL if the channel may use it; else ChannelError."""
    plugin = plugin_for(url)
    if not personal:
        return plugin
    scheme = scheme_of(url)
    allowed = settings.CHAT_USER_SCHEMES
    if scheme not in allowed:
        shown = ", ".join(f"{s}://" for s in allowed) or "none"
        raise ChannelError(f"{scheme[:20]}:// channels are not offered here (offered: {shown}).")
    if not fixed_host(scheme, plugin) and not settings.CHAT_USER_PRIVATE:
        check_host(str(getattr(plugin, "host", "") or ""), getattr(plugin, "port", None))
    return plugin
