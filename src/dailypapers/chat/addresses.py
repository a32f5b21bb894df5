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

import contextvars
import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import apprise
import urllib3.util.connection
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


NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def public(address: str) -> bool:
    """Whether the address is a public one, an IPv4 address carried inside an IPv6 one
    (mapped, NAT64, 6to4, the old compatible form) judged as that IPv4 address."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo:
            return False  # a tunnel to an address of its own choosing
        carried = ip.ipv4_mapped or ip.sixtofour
        if carried is None and (any(ip in network for network in NAT64) or ip in IPV4_COMPATIBLE):
            carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if carried is not None:
            ip = carried
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
    """The plugin for a channel's URL if the channel may use it; else ChannelError. A personal
    channel's plugin follows no redirect and discovers no other server (Matrix's .well-known):
    either would take the message to a host this check never saw."""
    plugin = plugin_for(url)
    if not personal:
        return plugin
    plugin.redirects = False
    if hasattr(plugin, "discovery"):
        plugin.discovery = False
    scheme = scheme_of(url)
    allowed = settings.CHAT_USER_SCHEMES
    if scheme not in allowed:
        shown = ", ".join(f"{s}://" for s in allowed) or "none"
        raise ChannelError(f"{scheme[:20]}:// channels are not offered here (offered: {shown}).")
    if not fixed_host(scheme, plugin) and not settings.CHAT_USER_PRIVATE:
        check_host(str(getattr(plugin, "host", "") or ""), getattr(plugin, "port", None))
    return plugin


# Every connection Apprise opens for a personal channel goes through this check: the name is
# resolved once, each address must be public, and the connection is made to the address that
# was checked (a name that answers a public address to the check and a private one to the
# connection, DNS rebinding, gains nothing). Installed in urllib3, which requests (Apprise's
# HTTP) uses for every connection; other calls and site-wide channels are not affected. The flag
# is a context variable: Apprise runs a service in its own worker threads, each in a copy of the
# caller's context (apprise >= 2.3, `submit_with_context`), so the flag goes with it.
_guarded: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "chat_public_only", default=None
)  # when guarded: the hosts refused so far (shared with the threads, which copy the context)
_create_connection = urllib3.util.connection.create_connection


def _checked_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
    refused = _guarded.get()
    if refused is None:
        return _create_connection(address, *args, **kwargs)
    host, port = address
    host = host.strip("[]")
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise OSError(f"the host {host[:100]} cannot be resolved") from exc
    for *_, sockaddr in found:
        if not public(str(sockaddr[0])):
            refused.append(host[:100])
            raise OSError(f"refused: {host[:100]} is a private or local address")
    return _create_connection((str(found[0][4][0]), port), *args, **kwargs)


urllib3.util.connection.create_connection = _checked_connection


@contextmanager
def public_connections_only(on: bool = True) -> Iterator[list[str]]:
    """Within this block (and the threads Apprise starts from it), every HTTP connection goes to
    public addresses only; yields the list of the hosts refused."""
    refused: list[str] = []
    token = _guarded.set(refused if on else None)
    try:
        yield refused
    finally:
        _guarded.reset(token)
