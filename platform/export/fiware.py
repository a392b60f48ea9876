"""Containers as FIWARE smart data model `WasteContainer` entities in NGSI-LD normalized form.

Normalized means every attribute is an object saying what it is (`Property`, `GeoProperty`,
`Relationship`) with its value and, for measurements, when it was observed. The smart data
model's JSON schema describes the simplified (key-values) form, which `simplified` derives, so
one schema checks both.

Mapping choices (docs/exports.md has the table):
- `fillingLevel` is a fraction 0..1, the model's unit, from our fill percentage.
- `status` is `burning` at the fire rule's temperature (60 °C); otherwise it comes from the
  sensor's tilt flag: tilted is `dropped` (the model's "container has been dropped"; an upright
  igloo never tilts), upright is `ok`, no tilt flag is `unknown`.
- `storedWasteKind` keeps the model's enum; our other words map to the nearest value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from tilsyn.platform.alerts.rules_containers import FIRE_TEMPERATURE_C
from tilsyn.platform.containers.models import ContainerState

MODEL_CONTEXT = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/"
    "master/context.jsonld"
)
WASTE_KINDS = frozenset(
    {
        "organic",
        "inorganic",
        "glass",
        "oil",
        "plastic",
        "metal",
        "paper",
        "batteries",
        "electronics",
        "hazardous",
        "other",
    }
)
WASTE_KIND_SYNONYMS = {
    "residual": "other",  # mixed household waste: neither organic nor a recyclable fraction
    "mixed": "other",
    "food": "organic",
    "bio": "organic",
    "biowaste": "organic",
    "cardboard": "paper",
    "cans": "metal",
}


def entity_id(container_id: str) -> str:
    return f"urn:ngsi-ld:WasteContainer:{quote(container_id, safe='-._~')}"


def device_id(dev_eui: str) -> str:
    return f"urn:ngsi-ld:Device:{dev_eui.lower()}"


def waste_container_entity(
    state: ContainerState,
    forecast: datetime | None = None,
    *,
    last_emptied: datetime | None = None,
) -> dict[str, Any]:
    """The container as a normalized entity; `forecast` is when it is expected to need emptying
    (its `nextActuationDeadline`), `last_emptied` when it was last seen emptied."""
    entity: dict[str, Any] = {
        "id": entity_id(state.container_id),
        "type": "WasteContainer",
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [state.longitude, state.latitude]},
        },
        "storedWasteKind": _property(stored_waste_kind(state.waste_kind)),
        "binCapacity": _property(state.capacity_litres, unitCode="LTR"),
        "status": _property(status(state), **_observed(state)),
        "refDevice": {"type": "Relationship", "object": [device_id(state.dev_eui)]},
    }
    if state.address:
        entity["address"] = _property({"streetAddress": state.address})
    if state.fill_percent is not None:
        level = min(1.0, max(0.0, state.fill_percent / 100.0))
        measured = {"observedAt": _utc(state.fill_at)} if state.fill_at else _observed(state)
        entity["fillingLevel"] = _property(round(level, 4), **measured)
    if state.temperature_c is not None:
        entity["temperature"] = _property(state.temperature_c, unitCode="CEL", **_observed(state))
    if last_emptied is not None:
        entity["dateLastEmptying"] = _property(_date_time(last_emptied))
    if forecast is not None:
        entity["nextActuationDeadline"] = _property(_date_time(forecast))
    entity["@context"] = [MODEL_CONTEXT]
    return entity


def status(state: ContainerState) -> str:
    """`burning` at the temperature the fire rule raises its alarm at, before anything else: a
    city consumer must not read "ok" for a container on fire."""
    if state.temperature_c is not None and state.temperature_c >= FIRE_TEMPERATURE_C:
        return "burning"
    if state.tilt is None:
        return "unknown"
    return "dropped" if state.tilt else "ok"


def stored_waste_kind(waste_kind: str) -> str:
    word = waste_kind.strip().lower()
    if word in WASTE_KINDS:
        return word
    return WASTE_KIND_SYNONYMS.get(word, "other")


def simplified(entity: dict[str, Any]) -> dict[str, Any]:
    """The NGSI-LD simplified (key-values) form: each attribute replaced by its value."""
    return {name: _plain(attribute) for name, attribute in entity.items()}


def _plain(attribute: Any) -> Any:
    if not isinstance(attribute, dict) or "type" not in attribute:
        return attribute  # id, type, @context
    if attribute["type"] == "Relationship":
        return attribute["object"]
    value = attribute["value"]
    if isinstance(value, dict) and "@value" in value:
        return value["@value"]  # a typed literal, such as a DateTime
    return value


def _property(value: Any, **sub_attributes: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value, **sub_attributes}


def _observed(state: ContainerState) -> dict[str, str]:
    return {} if state.time is None else {"observedAt": _utc(state.time)}


def _date_time(moment: datetime) -> dict[str, str]:
    return {"@type": "DateTime", "@value": _utc(moment)}


def _utc(moment: datetime) -> str:
    """NGSI-LD times are UTC in ISO 8601 with a Z; a naive time names no instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"time must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
