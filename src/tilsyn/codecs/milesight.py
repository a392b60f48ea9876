"""Milesight payloads: `[channel id][type][data]` blocks, repeated, little-endian.

A model is its table of measurement channels plus the shared device-attribute channels. The
vendor decoder stops silently at an unknown channel and drops the rest of the payload; we raise
DecodeError at the unknown block's offset instead, because silently lost readings are worse than
a loud error that names the byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.milesight_blocks import Channel, Fields, encode_blocks
from tilsyn.codecs.milesight_device import DEVICE_ALIASES, DEVICE_CHANNELS
from tilsyn.codecs.reader import ByteReader

DEVICE_KEY = "device"


@dataclass(frozen=True)
class MilesightModel:
    """`measurements` is also the encode order (see `encode_blocks`)."""

    name: str
    measurements: tuple[Channel, ...]

    @cached_property
    def _table(self) -> dict[tuple[int, int], tuple[Channel, bool]]:
        """(channel id, type) to the channel and whether it is a device attribute."""
        table = {(c.channel_id, c.channel_type): (c, False) for c in self.measurements}
        for channel in (*DEVICE_CHANNELS, *DEVICE_ALIASES):
            table[channel.channel_id, channel.channel_type] = (channel, True)
        return table

    def decode(self, payload: bytes, fport: int | None = None) -> Fields:
        """All blocks of `payload`. The fPort (85 for uplinks) does not change the layout."""
        if not payload:
            raise DecodeError("empty payload", 0)
        table, reader, decoded = self._table, ByteReader(payload), Fields()
        while reader.remaining:
            start = reader.offset
            channel_id, channel_type = reader.take(2, "block header (channel id and type)")
            found = table.get((channel_id, channel_type))
            if found is None:
                reason = f"unknown {self.name} channel {channel_id:02X} {channel_type:02X}"
                raise DecodeError(reason, start)
            channel, is_device = found
            target = decoded.setdefault(DEVICE_KEY, Fields()) if is_device else decoded
            target.update(channel.read(reader))
        return decoded

    def encode(self, fields: Mapping[str, Any]) -> bytes:
        """Device-attribute blocks first (as devices send them after power-on), then readings."""
        device = fields.get(DEVICE_KEY, {})
        if not isinstance(device, Mapping):
            raise ValueError(f"{DEVICE_KEY} must be a mapping, got {device!r}")
        readings = {k: v for k, v in fields.items() if k != DEVICE_KEY}
        payload = encode_blocks(DEVICE_CHANNELS, device, f"{self.name} device")
        payload += encode_blocks(self.measurements, readings, self.name)
        if not payload:
            raise ValueError(f"{self.name}: no fields to encode")
        return payload
