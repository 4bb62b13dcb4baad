"""The SSRF guard of webhook deliveries: where a URL may be sent to, decided on the addresses its name resolves to."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit

__all__ = ["AddressRefused", "Target", "refused_reason", "resolve_target"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata services, refused by name as well as by range (some answer outside link-local).
_METADATA: Final = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
_SHARED: Final = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: private in all but name


class AddressRefused(Exception):
    """The URL's host is, or resolves to, an address deliveries may not reach."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where to send: the URL with the checked address in place of the name, and the name for Host and TLS."""

    url: str
    host: str
    host_header: str
    address: str


def refused_reason(address: IPAddress, allowed: Sequence[Network]) -> str | None:
    """Why `address` may not be reached (None: it may): loopback, private, link-local, metadata and other
    non-public addresses are refused unless an admin's allow-list (WEBHOOK_ALLOWED_NETWORKS) holds them."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed):
        return None
    if address in _METADATA:
        return "a cloud metadata address"
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_unspecified or address.is_reserved, "a reserved address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private or address in _SHARED, "a private address"),
        (not address.is_global, "not a public address"),
    )
    return next((reason for refused, reason in checks if refused), None)


async def resolve_target(url: str, allowed: Sequence[Network]) -> Target:
    """Resolve the URL's host now (not at registration: DNS changes) and check every address it has; the request
    then goes to the checked address, so a second lookup cannot swap in another (DNS rebinding)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise AddressRefused(f"{host} does not resolve: {error.strerror}") from error
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    for address in addresses:
        reason = refused_reason(address, allowed)
        if reason is not None:
            raise AddressRefused(f"{host} resolves to {address}, {reason} (see WEBHOOK_ALLOWED_NETWORKS)")
    chosen = addresses[0]
    literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    named = f"[{host}]" if ":" in host else host
    host_header = f"{named}:{parts.port}" if parts.port else named
    return Target(
        urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host, host_header, str(chosen)
    )
