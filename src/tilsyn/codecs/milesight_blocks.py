"""Milesight block kinds: a `[channel id][type]` header, then data of a size fixed per kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tilsyn.codecs.packing import require_bool, require_int, require_tenths
from tilsyn.codecs.reader import ByteReader

Fields = dict[str, Any]


@dataclass(frozen=True)
class Channel:
    """One kind of block: how to read its data and how to write it back from `keys`."""

    channel_id: int
    channel_type: int
    keys: tuple[str, ...]
    read: Callable[[ByteReader], Fields]
    write: Callable[[Mapping[str, Any]], bytes]


def uint_channel(
    channel_id: int, channel_type: int, key: str, size: int, maximum: int | None = None
) -> Channel:
    """Unsigned little-endian data; `maximum` marks larger values as impossible."""
    limit = maximum if maximum is not None else (1 << (8 * size)) - 1

    def read(reader: ByteReader) -> Fields:
        return {key: reader.bounded(size, key, limit)}

    def write(fields: Mapping[str, Any]) -> bytes:
        return require_int(fields, key, 0, limit).to_bytes(size, "little")

    return Channel(channel_id, channel_type, (key,), read, write)


def flag_channel(channel_id: int, channel_type: int, key: str) -> Channel:
    """One byte, 0 or 1 (e.g. position: 0 normal, 1 tilt)."""

    def read(reader: ByteReader) -> Fields:
        return {key: reader.flag(key)}

    def write(fields: Mapping[str, Any]) -> bytes:
        return bytes([require_bool(fields, key)])

    return Channel(channel_id, channel_type, (key,), read, write)


def tenths_channel(channel_id: int, channel_type: int, key: str) -> Channel:
    """Signed int16 little-endian in tenths (temperature ÷10 °C)."""

    def read(reader: ByteReader) -> Fields:
        return {key: reader.sint(2, key) / 10}

    def write(fields: Mapping[str, Any]) -> bytes:
        return require_tenths(fields, key, -32768, 32767).to_bytes(2, "little", signed=True)

    return Channel(channel_id, channel_type, (key,), read, write)


def with_alarm(base: Channel, channel_id: int, alarm_key: str) -> Channel:
    """The same data as `base` followed by an alarm byte (0 released, 1 alarm)."""

    def read(reader: ByteReader) -> Fields:
        return {**base.read(reader), alarm_key: reader.flag(alarm_key)}

    def write(fields: Mapping[str, Any]) -> bytes:
        return base.write(fields) + bytes([require_bool(fields, alarm_key)])

    return Channel(channel_id, base.channel_type, (*base.keys, alarm_key), read, write)


def encode_blocks(channels: Iterable[Channel], fields: Mapping[str, Any], what: str) -> bytes:
    """Blocks for every key in `fields`, in channel order; a key no channel carries is an error.

    Put a channel that carries more keys (value + alarm) before the plain one so the richer
    block is chosen when its extra key is present.
    """
    left, out = set(fields), bytearray()
    for channel in channels:
        if set(channel.keys) <= left:
            out += bytes([channel.channel_id, channel.channel_type]) + channel.write(fields)
            left -= set(channel.keys)
    if left:
        raise ValueError(f"{what} cannot encode field(s) {', '.join(sorted(left))}")
    return bytes(out)
