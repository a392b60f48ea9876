"""Decode cost per message, the figure that matters against ingest's budget (DOMAIN.md §8:
one paho subscriber takes about 27k msg/s, i.e. 37 µs per message for everything).

Run: `python -m tilsyn.codecs.bench`. Prints `name value unit`, one figure per line.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from tilsyn.codecs.fhir import build_observation, parse_observation
from tilsyn.codecs.registry import decode, encode

PAYLOADS = {
    "milesight-em310-udl": "01755C03824408040001",
    "milesight-em400-udl": "01755C0367010104824408050001",
    "dragino-ldds75": "0D480B0500010501",
    "tilsyn-hygiene-v1": "010200F1536501020300110C000900312C01",
}


def microseconds_per_call(call: Callable[[], Any], repeat: int = 5) -> float:
    """Best of `repeat` runs: the least disturbed by other work on a shared machine."""
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number * 1e6


def figures() -> dict[str, float]:
    """Microseconds per call, by figure name."""
    result: dict[str, float] = {}
    for codec, hex_payload in PAYLOADS.items():
        payload = bytes.fromhex(hex_payload)
        fields = decode(codec, payload)
        result[f"decode_{codec}"] = microseconds_per_call(partial(decode, codec, payload))
        result[f"encode_{codec}"] = microseconds_per_call(partial(encode, codec, fields))
    doc = build_observation("p-1", "blood_pressure", (120, 80), datetime(2024, 5, 1, tzinfo=UTC))
    result["parse_fhir_blood_pressure"] = microseconds_per_call(partial(parse_observation, doc))
    return result


def main() -> None:
    for name, value in figures().items():
        print(f"{name} {value:.2f} us")


if __name__ == "__main__":
    main()
