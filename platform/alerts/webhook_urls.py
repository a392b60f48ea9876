"""Which URLs a webhook may point at.

A webhook makes the platform send POST requests where an admin says. A URL that httpx cannot
send to is refused when the webhook is made, not found out at each delivery. So are the
platform's own machine (loopback: its database, its API) and link-local addresses (a cloud's
metadata service): no receiver lives there, and a request there could reach what the network
otherwise keeps from the outside. Private networks stay allowed: a municipality's paging or
case system usually lives on one.
"""

from __future__ import annotations

import ipaddress

import httpx

MAX_URL_LENGTH = 2048


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
        raise ValueError("a webhook may not point at the platform's own machine")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = host.removesuffix(".")  # a fully qualified name may end in a dot
        if len(name) > 253 or any(not 0 < len(label) <= 63 for label in name.split(".")):
            raise ValueError(f"{host[:80]!r} is not a host name DNS can resolve") from None
        return url  # a name: its owner answers for where it leads
    if address.is_loopback or address.is_link_local or address.is_unspecified:
        raise ValueError(f"a webhook may not point at {address} (loopback or link-local)")
    return url
