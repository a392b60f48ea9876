"""A scenario's registry records as one JSON document, for platforms that must be told about
devices before they accept their data."""

from __future__ import annotations

import dataclasses
from typing import Any

from tilsyn.sim.scenario.model import Scenario


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def registry_document(scenario: Scenario) -> dict[str, Any]:
    """Everything the platform's registry needs; physics parameters stay out."""
    network = scenario.network
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "lorawan": None
        if network is None
        else {
            "gateways": _plain(network.gateways),
            "applications": _plain(dict(network.applications)),
            "device_profiles": _plain(dict(network.profiles)),
            "devices": _plain(network.devices),
        },
        "containers": _plain(scenario.containers),
        "wards": [
            {"ward_id": w.ward_id, "name": w.name, "hospital": w.hospital} for w in scenario.wards
        ],
        "zones": _plain(scenario.zones),
        "dispensers": _plain(scenario.dispensers),
        "badges": _plain(scenario.badges),
        "patients": _plain(scenario.patients),
        "hubs": _plain(scenario.hubs),
        "units": _plain(scenario.units),
        "locations": _plain(scenario.locations),
        "nurses": _plain(scenario.nurses),
    }
