"""Dragino LDDS75 ultrasonic distance sensor, fPort 2: 8 bytes, big-endian.

| bytes | field |
|---|---|
| 0-1 | battery mV (low 14 bits; the top two bits are not battery) |
| 2-3 | distance mm |
| 4 | interrupt flag (0/1) |
| 5-6 | DS18B20 temperature, int16 ÷10 °C |
| 7 | sensor flag (0/1) |

Distances below 20 mm are not measurements: 0 is sent when no probe answers, and the vendor's
decoder reports every value below 20 as an invalid reading. Such frames are decoded, not
rejected, because they still carry battery and temperature; `distance_valid` is false then and
consumers must not read `distance_mm` as a fill level.
Vector `0D480B0500010501`: 3400 mV, 2821 mm, interrupt 0, 26.1 °C, sensor flag 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.packing import reject_unknown, require_bool, require_int, require_tenths
from tilsyn.codecs.reader import ByteReader

DATA_FPORT = 2
BATTERY_MASK = 0x3FFF
MIN_VALID_DISTANCE_MM = 20
FIELDS = ("battery_mv", "distance_mm", "interrupt", "temperature_c", "sensor_flag")


def decode(payload: bytes, fport: int | None = None) -> dict[str, Any]:
    """A data frame. Without an fPort the frame is taken to be a data frame (fPort 2)."""
    if fport is not None and fport != DATA_FPORT:
        raise DecodeError(f"LDDS75 frames on fPort {fport} are not supported (only fPort 2)")
    reader = ByteReader(payload, "big")
    battery_mv = reader.uint(2, "battery") & BATTERY_MASK
    distance_mm = reader.uint(2, "distance_mm")
    fields = {
        "battery_mv": battery_mv,
        "distance_mm": distance_mm,
        "distance_valid": distance_mm >= MIN_VALID_DISTANCE_MM,
        "interrupt": reader.flag("interrupt flag"),
        "temperature_c": reader.sint(2, "temperature") / 10,
        "sensor_flag": reader.flag("sensor flag"),
    }
    reader.expect_end()
    return fields


def encode(fields: Mapping[str, Any]) -> bytes:
    """The 8-byte fPort 2 frame; `distance_valid`, if given, must agree with the distance."""
    reject_unknown(fields, {*FIELDS, "distance_valid"}, "LDDS75")
    distance_mm = require_int(fields, "distance_mm", 0, 0xFFFF)
    if "distance_valid" in fields:
        valid = require_bool(fields, "distance_valid")
        if valid != (distance_mm >= MIN_VALID_DISTANCE_MM):
            raise ValueError(f"distance_valid={valid} contradicts distance_mm={distance_mm}")
    return b"".join(
        (
            require_int(fields, "battery_mv", 0, BATTERY_MASK).to_bytes(2, "big"),
            distance_mm.to_bytes(2, "big"),
            bytes([require_bool(fields, "interrupt")]),
            require_tenths(fields, "temperature_c", -32768, 32767).to_bytes(2, "big", signed=True),
            bytes([require_bool(fields, "sensor_flag")]),
        )
    )
