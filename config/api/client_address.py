"""Who the client is: the one address rule of the throttles, the sign-in limits and the request log.

`REMOTE_ADDR` is the peer that opened the connection. Only when that peer is a proxy we trust
(`NUM_PROXIES` hops counted from the right, and/or an address in `TRUSTED_PROXIES`) do we read
`X-Forwarded-For`, walking it from the right: each trusted proxy appended the address it received the
request from, so the first address that is not a trusted proxy is the client. Whatever a client writes
into the header itself sits to the left of that and is never read. A hop that is not an IP address
means the header was not written by our proxy as expected: the peer's own address is used then.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# One IPv6 subscriber gets a whole /64 (often much more): counting per /128 would give an attacker
# 2^64 fresh addresses. Limits therefore count an IPv6 client by its /64 network.
IPV6_CLIENT_PREFIX = 64


def parse_address(value: str) -> IPAddress | None:
    """The address written in `value` (an IPv4-mapped IPv6 address as IPv4), or None if it is not one."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted_proxy(address: IPAddress | None, *, hops: int) -> bool:
    """Whether `address`, found `hops` proxies away from us, is a proxy whose header we may read."""
    num_proxies = settings.NUM_PROXIES
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if num_proxies and hops >= num_proxies:
        return False
    if not networks:
        return bool(num_proxies)
    if address is None:
        # A UNIX socket peer has no IP address: only a proxy on this machine can be there.
        return hops == 0
    return any(address in network for network in networks)


def client_address(request: Any) -> str:
    """The client's IP address as text (the peer's `REMOTE_ADDR` unless it is a trusted proxy)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    peer = parse_address(remote)
    own = str(peer) if peer is not None else remote
    if not settings.NUM_PROXIES and not settings.TRUSTED_PROXIES:
        return own
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if forwarded == [""]:
        forwarded = []
    current, hops = peer, 0
    while forwarded and _is_trusted_proxy(current, hops=hops):
        current = parse_address(forwarded.pop())
        hops += 1
        if current is None:
            return own
    return str(current) if current is not None else own


def rate_limit_key(address: str) -> str:
    """The key a limit counts `address` under: itself, or for IPv6 its /64 network."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False))
    return address


def client_rate_key(request: Any) -> str:
    """`rate_limit_key(client_address(request))`: what throttles and sign-in limits count by."""
    return rate_limit_key(client_address(request))
