"""Codec names to decoder/encoder pairs: the one place that lists what Tilsyn can read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tilsyn.codecs import dragino_ldds75, hygiene
from tilsyn.codecs.em310_udl import EM310_UDL
from tilsyn.codecs.em400_udl import EM400_UDL

Decoder = Callable[[bytes, int | None], dict[str, Any]]
Encoder = Callable[[Mapping[str, Any]], bytes]

_CODECS: dict[str, tuple[Decoder, Encoder]] = {
    "milesight-em310-udl": (EM310_UDL.decode, EM310_UDL.encode),
    "milesight-em400-udl": (EM400_UDL.decode, EM400_UDL.encode),
    "dragino-ldds75": (dragino_ldds75.decode, dragino_ldds75.encode),
    "tilsyn-hygiene-v1": (hygiene.decode, hygiene.encode),
}

CODEC_NAMES: tuple[str, ...] = tuple(_CODECS)


def _lookup(codec: str) -> tuple[Decoder, Encoder]:
    try:
        return _CODECS[codec]
    except KeyError:
        known = ", ".join(CODEC_NAMES)
        raise ValueError(f"unknown codec {codec!r} (known: {known})") from None


def decode(codec: str, payload: bytes, fport: int | None = None) -> dict[str, Any]:
    """The fields `payload` carries; DecodeError (with a byte offset) when it is malformed."""
    decoder, _ = _lookup(codec)
    return decoder(bytes(payload), fport)


def encode(codec: str, fields: Mapping[str, Any]) -> bytes:
    """The payload a device would send for `fields`; ValueError for fields it cannot carry."""
    _, encoder = _lookup(codec)
    return encoder(fields)
