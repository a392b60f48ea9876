"""Which URLs a webhook may point at.

A webhook makes the platform send POST requests where an admin says. A URL that httpx cannot
send to is refused when the webhook is made, not found out at each delivery. So are the
platform's own machine (loopback: its database, its API) and link-local addresses (a cloud's
metadata service): no receiver lives there, and a request there could reach what the network
otherwise keeps from the outside. Private networks stay allowed: a municipality's paging or
case system usually lives on one.

A host that is not an address literal is resolved when the webhook is made, so other
spellings of an address (`127.1`, `2130706433`) and names that lead to loopback are refused
too; a name that does not resolve now is taken (its delivery fails and is retried). A name's
address may change later (DNS rebinding), so each delivery resolves the host again, refuses
it by the same rule, and sends to the address it checked (webhooks.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

import httpx

MAX_URL_LENGTH = 2048

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class InsideAddress(ValueError):
    """The host is, or leads to, the platform's own machine or a link-local address."""


def check_webhook_url(url: str) -> str:
    """The URL if a webhook may point at it; ValueError with the reason if not."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"a webhook URL has at most {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
        host = parsed.host
    except (httpx.InvalidURL, UnicodeError, ValueError) as error:
        raise ValueError(f"not a URL the platform can send to: {error}") from error
    if parsed.scheme not in ("http", "https") or not host:
        raise ValueError("a webhook URL is http:// or https:// with a host")
    if host == "localhost" or host.endswith(".localhost"):
        raise InsideAddress("a webhook may not point at the platform's own machine")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = host.removesuffix(".")  # a fully qualified name may end in a dot
        if len(name) > 253 or any(not 0 < len(label) <= 63 for label in name.split(".")):
            raise ValueError(f"{host[:80]!r} is not a host name DNS can resolve") from None
        refuse_inside_any(host, _addresses(name))
        return url
    _refuse_inside(address)
    return url


def refuse_inside_any(host: str, addresses: Iterable[Address]) -> None:
    """InsideAddress if any of the addresses `host` resolved to is refused."""
    for address in addresses:
        _refuse_inside(address, "" if host == str(address) else f"{host[:80]}, which leads to ")


async def resolve_host(host: str) -> list[Address]:
    """What `host` resolves to now, in the resolver's order, without blocking the event loop."""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise OSError(f"{host[:80]} does not resolve ({error})") from error
    return list(dict.fromkeys(_address_of(info[4][0]) for info in found))


def _refuse_inside(address: Address, how: str = "") -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address.is_loopback or address.is_link_local or address.is_unspecified:
        raise InsideAddress(f"a webhook may not point at {how}{address} (loopback or link-local)")


def _addresses(name: str) -> set[Address]:
    """What `name` resolves to now (numeric spellings too); none if it does not resolve."""
    try:
        found = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return set()
    return {_address_of(info[4][0]) for info in found}


def _address_of(socket_host: str | int) -> Address:
    return ipaddress.ip_address(str(socket_host).split("%")[0])  # without an IPv6 scope
