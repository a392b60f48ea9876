"""Protobuf-JSON habits shared by the LoRaWAN envelopes: compact output, and zero, false and
empty values left out unless defaults are to be emitted."""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(separators=(",", ":"))


def compact(document: Any) -> bytes:
    return _ENCODER.encode(document).encode()


def put(document: dict[str, Any], key: str, value: Any, emit_defaults: bool) -> None:
    """Sets a scalar field unless it holds its default and defaults are not emitted."""
    if emit_defaults or value:
        document[key] = value
