"""Containers as NGSI-LD WasteContainer entities, checked against the smart data model's schema.

The schema and the common definitions it refers to by URL are read from the shared data folder
and registered locally, so validation never reaches the network.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource

from tilsyn.platform.containers.emptying import last_emptied
from tilsyn.platform.containers.models import ContainerState
from tilsyn.platform.export.fiware import simplified, waste_container_entity

FIWARE = Path(__file__).resolve().parents[3] / "shared" / "data" / "fiware"
COMMON_URL = "https://smart-data-models.github.io/data-models/common-schema.json"
AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def load(name: str) -> Any:
    return json.loads((FIWARE / name).read_text())


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    common = Resource.from_contents(load("common-schema.json"))
    registry: Registry[Any] = Registry().with_resource(COMMON_URL, common)
    formats = FormatChecker()
    # jsonschema checks date-time only with an optional package; check RFC 3339 ourselves.
    formats.checks("date-time")(
        lambda value: not isinstance(value, str) or bool(RFC3339.fullmatch(value))
    )
    return Draft202012Validator(
        load("WasteContainer.schema.json"), registry=registry, format_checker=formats
    )


def state(**changes: Any) -> ContainerState:
    fields: dict[str, Any] = {
        "container_id": "herning-glass-0042",
        "dev_eui": "24E124710B423527",
        "waste_kind": "glass",
        "capacity_litres": 2500.0,
        "latitude": 56.1393,
        "longitude": 8.9738,
        "address": "Bredgade 1, Herning",
        "empty_distance_mm": 3000,
        "full_distance_mm": 400,
        "time": AT,
        "distance_mm": 1900,
        "fill_percent": 42.3,
        "battery_percent": 91,
        "tilt": False,
        "temperature_c": 6.5,
    } | changes
    return ContainerState(**fields)


def assert_normalized(entity: dict[str, Any]) -> None:
    """NGSI-LD normalized: every attribute says what it is and carries its value or object."""
    for name, attribute in entity.items():
        if name in ("id", "type", "@context"):
            continue
        assert attribute["type"] in ("Property", "GeoProperty", "Relationship"), name
        assert ("object" if attribute["type"] == "Relationship" else "value") in attribute, name


def test_a_full_state_is_a_valid_normalized_entity(validator: Draft202012Validator) -> None:
    deadline, emptied = AT + timedelta(days=3), AT - timedelta(days=9)
    entity = waste_container_entity(state(), deadline, last_emptied=emptied)
    assert_normalized(entity)
    validator.validate(simplified(entity))
    assert entity["id"] == "urn:ngsi-ld:WasteContainer:herning-glass-0042"
    assert entity["type"] == "WasteContainer"
    assert entity["location"]["value"] == {"type": "Point", "coordinates": [8.9738, 56.1393]}
    assert entity["fillingLevel"] == {
        "type": "Property",
        "value": 0.423,
        "observedAt": "2026-03-02T08:30:00Z",
    }
    assert entity["storedWasteKind"]["value"] == "glass"
    assert entity["status"]["value"] == "ok"
    assert entity["temperature"]["value"] == 6.5
    assert entity["binCapacity"] == {"type": "Property", "value": 2500.0, "unitCode": "LTR"}
    assert entity["nextActuationDeadline"]["value"] == {
        "@type": "DateTime",
        "@value": "2026-03-05T08:30:00Z",
    }
    assert simplified(entity)["dateLastEmptying"] == "2026-02-21T08:30:00Z"
    assert entity["refDevice"]["object"] == ["urn:ngsi-ld:Device:24e124710b423527"]
    assert entity["@context"][0].endswith("dataModel.WasteManagement/master/context.jsonld")


def test_a_container_without_readings_is_valid_with_unknown_status(
    validator: Draft202012Validator,
) -> None:
    empty = state(time=None, distance_mm=None, fill_percent=None, tilt=None, temperature_c=None)
    entity = waste_container_entity(empty)
    validator.validate(simplified(entity))
    assert entity["status"] == {"type": "Property", "value": "unknown"}
    assert "fillingLevel" not in entity
    assert "temperature" not in entity


@pytest.mark.parametrize(
    ("tilt", "expected"), [(True, "dropped"), (False, "ok"), (None, "unknown")]
)
def test_tilt_maps_to_status(tilt: bool | None, expected: str) -> None:
    assert waste_container_entity(state(tilt=tilt))["status"]["value"] == expected


def test_the_filling_level_is_observed_when_the_fill_was_measured() -> None:
    """A battery-only report today does not make a fill measured three days ago look fresh."""
    stale = waste_container_entity(state(fill_at=AT - timedelta(days=3)))
    assert stale["fillingLevel"]["observedAt"] == "2026-02-27T08:30:00Z"
    assert stale["status"]["observedAt"] == "2026-03-02T08:30:00Z"


@pytest.mark.parametrize("tilt", [True, False, None])
def test_a_container_at_the_fire_alarms_temperature_is_burning(
    tilt: bool | None, validator: Draft202012Validator
) -> None:
    burning = waste_container_entity(state(tilt=tilt, temperature_c=78.0))
    assert burning["status"]["value"] == "burning"
    validator.validate(simplified(burning))
    assert waste_container_entity(state(tilt=False, temperature_c=59.0))["status"]["value"] == "ok"


@pytest.mark.parametrize(
    ("ours", "model"),
    [
        ("glass", "glass"),
        ("Paper", "paper"),
        ("residual", "other"),
        ("food", "organic"),
        ("x", "other"),
    ],
)
def test_waste_kinds_map_into_the_models_enum(
    validator: Draft202012Validator, ours: str, model: str
) -> None:
    entity = waste_container_entity(state(waste_kind=ours))
    validator.validate(simplified(entity))
    assert entity["storedWasteKind"]["value"] == model


def test_the_validator_refuses_what_the_model_forbids(validator: Draft202012Validator) -> None:
    good = simplified(waste_container_entity(state()))
    for bad in (
        good | {"fillingLevel": 42.3},  # a percentage, not a fraction
        good | {"status": "tilted"},
        good | {"dateLastEmptying": "2026-03-02 08:30"},
        {k: v for k, v in good.items() if k != "location"},
    ):
        with pytest.raises(ValidationError):
            validator.validate(bad)


def test_the_models_own_normalized_example_validates_the_same_way(
    validator: Draft202012Validator,
) -> None:
    example = load("WasteContainer.example-normalized.jsonld")
    assert_normalized(example)
    validator.validate(simplified(example))


def test_ids_that_are_not_plain_words_are_escaped() -> None:
    entity = waste_container_entity(state(container_id="Torvet 3/B"))
    assert entity["id"] == "urn:ngsi-ld:WasteContainer:Torvet%203%2FB"


def test_last_emptying_is_the_first_reading_after_a_sharp_fall(database_url: str) -> None:
    fills = {"A": [20, 50, 80, 5, 10, 60, 12], "B": [10, 30, 45, 40], "C": [90, 70, 10]}
    with psycopg.connect(database_url) as conn:
        for container, levels in fills.items():
            for hour, fill in enumerate(levels):
                conn.execute(
                    "INSERT INTO container_readings (time, container_id, dev_eui, fill_percent)"
                    " VALUES (%s, %s, '0000000000000001', %s)",
                    (AT + timedelta(hours=hour), container, fill),
                )
        found = last_emptied(conn, since=AT - timedelta(days=1))
        only_a = last_emptied(conn, since=AT - timedelta(days=1), container_ids=["A"])
        too_late = last_emptied(conn, since=AT + timedelta(hours=4))
    assert found == {"A": AT + timedelta(hours=6), "C": AT + timedelta(hours=2)}
    assert only_a == {"A": AT + timedelta(hours=6)}
    assert too_late == {"A": AT + timedelta(hours=6)}
