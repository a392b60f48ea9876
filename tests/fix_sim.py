"""Shared helpers for the simulator's tests: small scenarios and decoded emissions."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from tilsyn.sim import Emission, Simulation, load_scenario

# A Herning of 20 containers (all three codecs, all three kinds), quick to simulate.
SMALL_TOWN: dict[str, Any] = {
    "kinds": {"glass": {"count": 8}, "paper": {"count": 6}, "residual": {"count": 6}},
    "area": {"recycling_points": 6},
}
QUIET_NETWORK: dict[str, Any] = {
    "lorawan": {
        "background": {
            "duplicate_probability": 0.0,
            "out_of_order_probability": 0.0,
            "replay_probability": 0.0,
        }
    }
}


def merged(*overrides: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for override in overrides:
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(result.get(key), dict):
                result[key] = merged(result[key], value)
            else:
                result[key] = value
    return result


def small_town(seed: int = 5, *extra: dict[str, Any]):
    return load_scenario("herning", seed, merged(SMALL_TOWN, QUIET_NETWORK, *extra))


def run_days(sim: Simulation, days: float) -> list[Emission]:
    return list(sim.run(duration=timedelta(days=days)))


def ups(emissions: Iterable[Emission]) -> list[dict[str, Any]]:
    """ChirpStack `up` events as dicts, with `_at` (delivery time) added."""
    found = []
    for emission in emissions:
        if emission.topic.endswith("/event/up"):
            body = json.loads(emission.payload)
            body["_at"] = emission.at
            found.append(body)
    return found


def payload(event: dict[str, Any]) -> bytes:
    return base64.b64decode(event["data"])
