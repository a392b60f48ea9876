"""Configuration downlinks in the vendors' own byte formats: the reporting interval.

Milesight (fPort 85): `FF 03` + interval in seconds, uint16 little-endian.
Dragino (any fPort): `01` + interval in seconds, uint24 big-endian (the TDC command).
"""

from __future__ import annotations

MILESIGHT_PORT = 85
DRAGINO_PORT = 1


def interval_downlink(codec: str, seconds: int) -> tuple[int, bytes]:
    """(fPort, bytes) that set a device's reporting interval."""
    if codec.startswith("milesight-"):
        if not 60 <= seconds <= 0xFFFF:
            raise ValueError(f"Milesight reporting interval must be 60-65535 s, got {seconds}")
        return MILESIGHT_PORT, b"\xff\x03" + seconds.to_bytes(2, "little")
    if codec == "dragino-ldds75":
        if not 60 <= seconds <= 0xFFFFFF:
            raise ValueError(f"Dragino reporting interval must be 60-16777215 s, got {seconds}")
        return DRAGINO_PORT, b"\x01" + seconds.to_bytes(3, "big")
    raise ValueError(f"no configuration downlink known for codec {codec!r}")


def parse_interval(codec: str, f_port: int, data: bytes) -> int | None:
    """The reporting interval a downlink sets, or None if it sets something else (ignored,
    as firmware ignores commands it does not act on)."""
    if codec.startswith("milesight-") and f_port == MILESIGHT_PORT:
        if len(data) == 4 and data[:2] == b"\xff\x03":
            return int.from_bytes(data[2:], "little")
        return None
    if codec == "dragino-ldds75" and len(data) == 4 and data[0] == 0x01:
        return int.from_bytes(data[1:], "big")
    return None
