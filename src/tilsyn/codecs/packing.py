"""Checks on the encoder side: the simulator must not build a payload no device could send."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def _present(fields: Mapping[str, Any], key: str) -> Any:
    if key not in fields:
        raise ValueError(f"missing field {key}")
    return fields[key]


def check_int(value: object, name: str, low: int, high: int) -> int:
    """An integer within [low, high]; bools are refused although Python counts them as ints."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be within {low}..{high}, got {value}")
    return value


def require_int(fields: Mapping[str, Any], key: str, low: int, high: int) -> int:
    return check_int(_present(fields, key), key, low, high)


def require_bool(fields: Mapping[str, Any], key: str) -> bool:
    value = _present(fields, key)
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false, got {value!r}")
    return value


def require_tenths(fields: Mapping[str, Any], key: str, low: int, high: int) -> int:
    """A decimal field sent as an integer count of tenths, e.g. 25.7 °C as 257."""
    value = _present(fields, key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} must be a finite number, got {value!r}")
    tenths = round(value * 10)
    if not low <= tenths <= high:
        raise ValueError(f"{key} must be within {low / 10}..{high / 10}, got {value}")
    return tenths


def reject_unknown(fields: Mapping[str, Any], known: set[str], codec: str) -> None:
    """A misspelt key would otherwise vanish silently from the simulated payload."""
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValueError(f"{codec} cannot encode field(s) {', '.join(unknown)}")
