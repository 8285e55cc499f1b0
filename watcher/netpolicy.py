"""Which network addresses a fetch may reach: the one rule that feeds and article pages share.

A feed, and every link in it, is written by someone else. Without a rule, a redirect or an
article link can make the watcher request its own host (127.0.0.1, [::1]), the private network
it runs in (10.x, 192.168.x), or a cloud metadata service (169.254.169.254). So a fetch may
reach only public unicast addresses, plus the networks the operator lists (`allow_private`).
The check applies to every DNS answer of every hop (fetch.py's network backend connects only
to the address it has just checked, so a second DNS answer cannot slip past it).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class AddressRefused(Exception):
    """A fetch target that the address policy forbids; the message says which and why."""


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings → networks; a bare address means just that address. Raises ValueError."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a network; use CIDR notation such as '10.0.0.0/8' "
                "or '127.0.0.1/32'"
            ) from exc
    return tuple(networks)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: IPAddress) -> str | None:
    """Why an address is not public ('loopback', 'private', …), or None when it is."""
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_private:
        return "private"
    if address.is_reserved or not address.is_global:
        return "reserved"
    return None


def refusal(address: IPAddress, allowed: tuple[IPNetwork, ...] = ()) -> str | None:
    """Why `address` may not be reached (None when it may). Embedded IPv4 counts too."""
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            candidates = [inner] if address.ipv4_mapped is not None else [inner, address]
    for candidate in candidates:
        if any(candidate.version == net.version and candidate in net for net in allowed):
            continue
        kind = _kind(candidate)
        if kind is not None:
            return f"{candidate} is a {kind} address"
    return None


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Where a fetch may connect. `anywhere` is for feeds the operator put on a private
    address: their own redirects may stay in that network."""

    allowed: tuple[IPNetwork, ...] = ()
    anywhere: bool = False

    def check(self, address: IPAddress) -> str | None:
        return None if self.anywhere else refusal(address, self.allowed)

    def check_url(self, url: str) -> str | None:
        """What is wrong with a URL before any DNS: scheme, credentials, a forbidden literal."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            return f"{url!r} is not a valid URL"
        if parts.scheme not in ("http", "https"):
            return f"only http and https are fetched, not {parts.scheme or 'a relative'} URLs"
        if parts.username is not None or parts.password is not None:
            return "URLs carrying a user name or password are never fetched"
        if not host:
            return "the URL has no host"
        if self.anywhere:
            return None
        if host.rstrip(".").lower() in _LOCAL_NAMES or host.endswith(".localhost"):
            return f"{host} names this machine (loopback)"
        address = literal_address(host)
        return self.check(address) if address is not None else None


async def resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    answers = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


async def is_private_host(host: str) -> bool:
    """Whether a configured host is on a non-public address (every DNS answer is)."""
    if host.rstrip(".").lower() in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    address = literal_address(host)
    if address is not None:
        return refusal(address) is not None
    try:
        answers = await resolve(host, 80)
    except OSError:
        return False  # unknown for now: treated as public, the strict rule
    return bool(answers) and all(refusal(a) is not None for a in answers)
