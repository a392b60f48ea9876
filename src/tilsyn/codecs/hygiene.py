"""`tilsyn-hygiene-v1`: our compact binary format for hand-hygiene dispensers and staff badges.

No public payload standard exists for these devices, so Tilsyn defines one. Every message starts
with the format version (1) and the message type; all integers are little-endian. The byte-by-
byte layout of each message type is in its module and in docs/codecs.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.hygiene_badge import read_badge_events, write_badge_events
from tilsyn.codecs.hygiene_dispenser import read_dispenser_status, write_dispenser_status
from tilsyn.codecs.hygiene_enums import BADGE_EVENTS, DISPENSER_STATUS, FORMAT_VERSION
from tilsyn.codecs.reader import ByteReader

_READERS: dict[int, Callable[[ByteReader], dict[str, Any]]] = {
    DISPENSER_STATUS: read_dispenser_status,
    BADGE_EVENTS: read_badge_events,
}
_WRITERS: dict[str, tuple[int, Callable[[Mapping[str, Any]], bytes]]] = {
    "dispenser_status": (DISPENSER_STATUS, write_dispenser_status),
    "badge_events": (BADGE_EVENTS, write_badge_events),
}


def decode(payload: bytes, fport: int | None = None) -> dict[str, Any]:
    """One message. The fPort is not used: the message type travels in the payload."""
    reader = ByteReader(payload)
    version = reader.uint(1, "format version")
    if version != FORMAT_VERSION:
        raise DecodeError(f"unsupported tilsyn-hygiene format version {version}", 0)
    message_type = reader.uint(1, "message type")
    read = _READERS.get(message_type)
    if read is None:
        raise DecodeError(f"unknown tilsyn-hygiene message type 0x{message_type:02X}", 1)
    fields = read(reader)
    reader.expect_end()
    return fields


def encode(fields: Mapping[str, Any]) -> bytes:
    """`fields["message"]` selects the message type."""
    message = fields.get("message")
    if message not in _WRITERS:
        raise ValueError(f"message must be one of {', '.join(_WRITERS)}, got {message!r}")
    message_type, write = _WRITERS[message]
    return bytes([FORMAT_VERSION, message_type]) + write(fields)
