"""Stored vital-sign rows as FHIR R4 Observations and searchset Bundles.

Every resource is validated with the `fhir.resources` R4B models, which check structure and
types but not profiles or code systems; the vital-signs profile's rules (DOMAIN.md §5) are
checked here explicitly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation

from tilsyn.platform.export.fhir import (
    VitalRow,
    observations_from_rows,
    resource_id,
    searchset_bundle,
)

AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# stored kind, value, unit, the LOINC code the Observation must carry
SINGLE_VALUED = [
    ("heart_rate", 72.0, "/min", "8867-4"),
    ("spo2", 95.0, "%", "59408-5"),
    ("body_temperature", 37.2, "Cel", "8310-5"),
    ("respiratory_rate", 16.0, "/min", "9279-1"),
    ("body_weight", 81.5, "kg", "29463-7"),
    ("blood_glucose", 6.1, "mmol/L", "15074-8"),
]


def row(kind: str, value: float, unit: str = "mm[Hg]", **changes: Any) -> VitalRow:
    fields: dict[str, Any] = {
        "time": AT,
        "patient_id": "P1",
        "kind": kind,
        "value": value,
        "unit": unit,
        "observation_id": None,
        "device_id": "cuff-7",
    } | changes
    return VitalRow(**fields)


def assert_vital_signs_profile(doc: dict[str, Any], loinc_code: str) -> None:
    Observation.model_validate(doc)
    assert doc["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]
    assert doc["status"] == "final"
    category = doc["category"][0]["coding"][0]
    assert category["code"] == "vital-signs"
    assert category["system"] == "http://terminology.hl7.org/CodeSystem/observation-category"
    assert {"system": LOINC, "code": loinc_code} in [
        {"system": c["system"], "code": c["code"]} for c in doc["code"]["coding"]
    ]
    assert doc["subject"] == {"reference": "Patient/P1"}
    assert datetime.fromisoformat(doc["effectiveDateTime"]) == AT


@pytest.mark.parametrize(("kind", "value", "unit", "code"), SINGLE_VALUED)
def test_each_single_valued_kind_is_a_vital_signs_observation(
    kind: str, value: float, unit: str, code: str
) -> None:
    [doc] = observations_from_rows([row(kind, value, unit)])
    assert_vital_signs_profile(doc, code)
    assert doc["valueQuantity"]["value"] == value
    assert doc["valueQuantity"]["system"] == UCUM
    assert doc["valueQuantity"]["code"] == unit
    assert doc["device"] == {"reference": "Device/cuff-7"}


def test_the_two_blood_pressure_rows_become_one_panel_with_components() -> None:
    rows = [
        row("diastolic_bp", 88.0, observation_id="bp-1"),
        row("systolic_bp", 141.0, observation_id="bp-1"),
    ]
    [doc] = observations_from_rows(rows)
    assert_vital_signs_profile(doc, "85354-9")
    assert "valueQuantity" not in doc
    values = {
        part["code"]["coding"][0]["code"]: part["valueQuantity"]["value"]
        for part in doc["component"]
    }
    assert values == {"8480-6": 141.0, "8462-4": 88.0}
    assert all(part["valueQuantity"]["code"] == "mm[Hg]" for part in doc["component"])
    assert doc["identifier"] == [{"value": "bp-1"}]


def test_panels_without_an_observation_id_pair_up_by_time_and_device() -> None:
    later = AT + timedelta(minutes=5)
    rows = [
        row("systolic_bp", 130.0),
        row("systolic_bp", 150.0, time=later),
        row("diastolic_bp", 80.0),
        row("diastolic_bp", 95.0, time=later),
    ]
    docs = observations_from_rows(rows)
    panels = {
        doc["effectiveDateTime"]: sorted(p["valueQuantity"]["value"] for p in doc["component"])
        for doc in docs
    }
    assert panels == {AT.isoformat(): [80.0, 130.0], later.isoformat(): [95.0, 150.0]}


def test_a_panel_missing_a_component_is_left_out_not_sent_half_empty() -> None:
    rows = [row("systolic_bp", 130.0, observation_id="bp-2"), row("heart_rate", 70.0, "/min")]
    docs = observations_from_rows(rows)
    assert [doc["code"]["coding"][0]["code"] for doc in docs] == ["8867-4"]


def test_ids_are_stable_valid_and_distinct_across_patients() -> None:
    first = observations_from_rows([row("heart_rate", 70.0, "/min", observation_id="obs-1")])
    again = observations_from_rows([row("heart_rate", 70.0, "/min", observation_id="obs-1")])
    other = observations_from_rows(
        [row("heart_rate", 70.0, "/min", observation_id="obs-1", patient_id="P2")]
    )
    assert first[0]["id"] == again[0]["id"]
    assert first[0]["id"] != other[0]["id"]
    # The same instant read in another zone is the same measurement.
    oslo = AT.astimezone(timezone(timedelta(hours=1)))
    assert resource_id(row("heart_rate", 70.0)) == resource_id(row("heart_rate", 70.0, time=oslo))


@pytest.mark.parametrize("status", ["corrected", "amended"])
def test_a_correction_is_exported_with_its_status(status: str) -> None:
    """FHIR R4: a result changed after it was final is `corrected` or `amended`, not `final`."""
    rows = [
        row("systolic_bp", 132.0, observation_id="bp-1", status=status),
        row("diastolic_bp", 81.0, observation_id="bp-1", status=status),
        row("heart_rate", 70.0, "/min", observation_id="hr-1"),
    ]
    panel, pulse = observations_from_rows(rows)
    Observation.model_validate(panel)
    assert panel["status"] == status
    assert pulse["status"] == "final"


def test_a_reading_delivered_twice_is_one_observation() -> None:
    docs = observations_from_rows([row("spo2", 94.0, "%"), row("spo2", 94.0, "%")])
    assert len(docs) == 1


def test_a_device_id_that_is_not_a_fhir_id_becomes_a_logical_reference() -> None:
    [doc] = observations_from_rows([row("heart_rate", 70.0, "/min", device_id="AA:BB:CC:01")])
    Observation.model_validate(doc)
    assert doc["device"] == {"identifier": {"value": "AA:BB:CC:01"}}


def test_searchset_bundle_validates_and_links_each_entry() -> None:
    rows = [
        row("heart_rate", 70.0, "/min"),
        row("systolic_bp", 120.0, observation_id="b"),
        row("diastolic_bp", 75.0, observation_id="b"),
    ]
    resources = observations_from_rows(rows)
    self_link = "https://tilsyn.example/fhir/Observation?patient=P1"
    bundle = searchset_bundle(resources, "https://tilsyn.example/fhir/", self_link)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 2
    assert bundle["link"] == [{"relation": "self", "url": self_link}]
    for entry, resource in zip(bundle["entry"], resources, strict=True):
        assert entry["fullUrl"] == f"https://tilsyn.example/fhir/Observation/{resource['id']}"
        assert entry["resource"] is resource
        assert entry["search"] == {"mode": "match"}


def test_a_bundle_page_reports_the_overall_total_and_the_next_page() -> None:
    resources = observations_from_rows([row("heart_rate", 70.0, "/min")])
    bundle = searchset_bundle(resources, "http://x/fhir", "http://x/p1", total=9, next_link="n")
    Bundle.model_validate(bundle)
    assert bundle["total"] == 9
    assert bundle["link"][1] == {"relation": "next", "url": "n"}
