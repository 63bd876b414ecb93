"""SSRF guard: resolve a host, check every address, refuse before any connection is made."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sources.errors import BlockedAddressError

Resolver = Callable[[str, int], list[str]]

# Carrier-grade NAT (RFC 6598) is neither "private" nor "global" in the ipaddress module.
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def refusal_reason(address: str) -> str | None:
    """Why an address must not be reached from a crawler, or None when it is public."""
    ip: Any = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local (cloud metadata lives here)"
    if ip in _SHARED_ADDRESS_SPACE:
        return "carrier-grade NAT"
    if ip.is_private:
        return "private"
    if ip.is_multicast or ip.is_reserved or not ip.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class AddressGuard:
    """Refuses non-public addresses unless their host is explicitly allowed."""

    allow_hosts: frozenset[str] = field(default_factory=frozenset)
    resolver: Resolver = system_resolver

    @classmethod
    def allowing(cls, hosts: Iterable[str], resolver: Resolver = system_resolver) -> AddressGuard:
        return cls(frozenset(h.strip().lower().strip("[]") for h in hosts if h.strip()), resolver)

    def check_url(self, url: str) -> None:
        """Refuse anything but http(s) URLs with a host; addresses are checked at connect time."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            scheme = parts.scheme or "a bare path"
            raise BlockedAddressError(
                f"only http and https URLs can be fetched, not {scheme!r}", url
            )
        if not parts.hostname:
            raise BlockedAddressError("the URL has no host", url)

    def resolve(self, host: str, port: int) -> list[str]:
        """Resolve host and return its addresses, refusing if any of them is not public."""
        bare = host.strip("[]").lower()
        try:
            addresses = self.resolver(bare, port)
        except OSError as exc:
            raise BlockedAddressError(f"cannot resolve host {bare!r}: {exc}") from exc
        if not addresses:
            raise BlockedAddressError(f"host {bare!r} has no address")
        if bare in self.allow_hosts:
            return addresses
        for address in addresses:
            reason = refusal_reason(address)
            if reason is not None and address not in self.allow_hosts:
                raise BlockedAddressError(
                    f"refusing to connect to {bare} ({address}): {reason} address; "
                    f"allow it explicitly with --allow-host {bare} or http.allow_hosts"
                )
        return addresses
