"""`tilsyn-hygiene-v1` message 0x01, dispenser status: counters and the uses since the last
report, so a ward's compliance can be computed from dispenser data alone.

    2-5   time            uint32 LE, unix seconds: start of the window the uses fall in
    6-9   use_count       uint32 LE, cumulative uses since the counter was last reset
    10    refill_percent  0-100, soap or alcohol left in the refill
    11    battery_percent 0-100
    12    count           number of uses in this report, 0-255, at most use_count
    13-   uses            `count` × uint16 LE, seconds after `time`, non-decreasing
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.packing import check_int, reject_unknown, require_int
from tilsyn.codecs.reader import ByteReader

KEYS = {"message", "time", "use_count", "refill_percent", "battery_percent", "uses"}


def read_dispenser_status(reader: ByteReader) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "message": "dispenser_status",
        "time": reader.uint(4, "time"),
        "use_count": reader.uint(4, "use_count"),
        "refill_percent": reader.bounded(1, "refill_percent", 100),
        "battery_percent": reader.bounded(1, "battery_percent", 100),
    }
    count_at = reader.offset
    count = reader.bounded(1, "number of uses", fields["use_count"])
    if count * 2 > reader.remaining:
        reason = (
            f"number of uses {count} (byte {count_at}) needs {count * 2} bytes of uses, "
            f"only {reader.remaining} follow"
        )
        raise DecodeError(reason, len(reader.payload))
    fields["uses"] = _read_uses(reader, count)
    return fields


def _read_uses(reader: ByteReader, count: int) -> list[int]:
    uses: list[int] = []
    for index in range(count):
        start = reader.offset
        use = reader.uint(2, f"use {index}")
        if uses and use < uses[-1]:
            raise DecodeError(f"use {index} is older than the use before it", start)
        uses.append(use)
    return uses


def write_dispenser_status(fields: Mapping[str, Any]) -> bytes:
    reject_unknown(fields, KEYS, "dispenser_status")
    uses = fields.get("uses")
    if not isinstance(uses, Sequence) or len(uses) > 255:
        raise ValueError(f"uses must be a list of at most 255 offsets, got {uses!r}")
    use_count = require_int(fields, "use_count", len(uses), 0xFFFFFFFF)
    head = require_int(fields, "time", 0, 0xFFFFFFFF).to_bytes(4, "little")
    head += use_count.to_bytes(4, "little")
    head += bytes(
        [
            require_int(fields, "refill_percent", 0, 100),
            require_int(fields, "battery_percent", 0, 100),
            len(uses),
        ]
    )
    body, previous = bytearray(), 0
    for index, use in enumerate(uses):
        previous = check_int(use, f"uses[{index}]", previous, 0xFFFF)
        body += previous.to_bytes(2, "little")
    return head + bytes(body)
