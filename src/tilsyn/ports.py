"""Free TCP ports for the servers Tilsyn starts itself (embedded PostgreSQL and Mosquitto, test
servers).

A port the kernel hands out for `bind(0)` comes from its range for outgoing connections: once
released, any client's connection may take it as its source port before the server binds it,
and the server then cannot open it (seen: a test broker started 30 s after its port was
chosen). So ports are chosen below that range, where no outgoing connection lands.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PORT = 20000  # above the well-known and most registered services' ports
TRIES = 200
# Not the `random` module's shared generator: tests may seed it alike in parallel workers,
# which would then choose the same ports.
_choose = random.SystemRandom()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing on `host` listens on or uses now, below the outgoing range if there is
    room; the kernel's choice otherwise."""
    below = _first_ephemeral_port()
    if below - LOWEST_PORT >= 1000:
        for _ in range(TRIES):
            port = _choose.randrange(LOWEST_PORT, below)
            if _bindable(host, port):
                return port
    with socket.socket() as sock:
        sock.bind((host, 0))
        chosen: int = sock.getsockname()[1]
        return chosen


def _first_ephemeral_port() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return LOWEST_PORT  # not Linux: leave the choice to the kernel


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True
