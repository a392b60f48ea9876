"""`tilsyn-hygiene-v1` message 0x02, badge events: zone entries, exits and dispenser uses
seen by one staff badge. The badge carries its role category only, never who wears it.

    2-5  time      uint32 LE, unix seconds: base for the event offsets
    6    role      code (ROLES)
    7    count     number of events, 0-255
    8-   events    `count` × 5 bytes: offset_s uint16 LE (non-decreasing),
                   kind byte (high nibble event code, low nibble zone code), ref uint16 LE
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.hygiene_enums import EVENTS, ROLES, ZONES, code_of, name_of
from tilsyn.codecs.packing import reject_unknown, require_int
from tilsyn.codecs.reader import ByteReader

EVENT_SIZE = 5
EVENT_KEYS = {"offset_s", "event", "zone", "ref"}


def read_badge_events(reader: ByteReader) -> dict[str, Any]:
    time = reader.uint(4, "time")
    role_at = reader.offset
    role = name_of(ROLES, reader.uint(1, "role"), "role", role_at)
    count_at = reader.offset
    count = reader.uint(1, "event count")
    if count * EVENT_SIZE > reader.remaining:
        reason = (
            f"event count {count} (byte {count_at}) needs {count * EVENT_SIZE} bytes "
            f"of events, only {reader.remaining} follow"
        )
        raise DecodeError(reason, len(reader.payload))
    events: list[dict[str, Any]] = []
    for index in range(count):
        start = reader.offset
        event = _read_event(reader, index)
        if events and event["offset_s"] < events[-1]["offset_s"]:
            raise DecodeError(f"event {index} is older than the event before it", start)
        events.append(event)
    return {"message": "badge_events", "time": time, "role": role, "events": events}


def _read_event(reader: ByteReader, index: int) -> dict[str, Any]:
    offset_s = reader.uint(2, f"offset of event {index}")
    kind_at = reader.offset
    kind = reader.uint(1, f"kind of event {index}")
    return {
        "offset_s": offset_s,
        "event": name_of(EVENTS, kind >> 4, f"event {index} type", kind_at),
        "zone": name_of(ZONES, kind & 0x0F, f"event {index} zone", kind_at),
        "ref": reader.uint(2, f"ref of event {index}"),
    }


def write_badge_events(fields: Mapping[str, Any]) -> bytes:
    reject_unknown(fields, {"message", "time", "role", "events"}, "badge_events")
    events = fields.get("events")
    if not isinstance(events, Sequence) or len(events) > 255:
        raise ValueError(f"events must be a list of at most 255 events, got {events!r}")
    head = require_int(fields, "time", 0, 0xFFFFFFFF).to_bytes(4, "little")
    head += bytes([code_of(ROLES, fields.get("role"), "role"), len(events)])
    body, previous = bytearray(), 0
    for event in events:
        if not isinstance(event, Mapping):
            raise ValueError(f"each event must be a mapping, got {event!r}")
        body += _write_event(event, previous)
        previous = event["offset_s"]
    return head + bytes(body)


def _write_event(event: Mapping[str, Any], previous_offset: int) -> bytes:
    reject_unknown(event, EVENT_KEYS, "badge event")
    offset_s = require_int(event, "offset_s", previous_offset, 0xFFFF)
    event_code = code_of(EVENTS, event.get("event"), "event")
    zone_code = code_of(ZONES, event.get("zone"), "zone")
    kind = event_code << 4 | zone_code
    ref = require_int(event, "ref", 0, 0xFFFF)
    return offset_s.to_bytes(2, "little") + bytes([kind]) + ref.to_bytes(2, "little")
