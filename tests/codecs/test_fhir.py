"""FHIR vital-signs Observations: build follows DOMAIN.md §5, parse reads ours and leaner ones."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tilsyn.codecs import DecodeError
from tilsyn.codecs.fhir import VITAL_KINDS, VitalObservation, build_observation, parse_observation

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
WHEN = datetime(2024, 5, 1, 7, 30, tzinfo=timezone(timedelta(hours=2)))
UNITS = {
    "blood_pressure": "mm[Hg]",
    "heart_rate": "/min",
    "spo2": "%",
    "body_temperature": "Cel",
    "respiratory_rate": "/min",
    "body_weight": "kg",
    "blood_glucose": "mmol/L",
}
CODES = {
    "blood_pressure": ["85354-9"],
    "heart_rate": ["8867-4"],
    "spo2": ["59408-5", "2708-6"],
    "body_temperature": ["8310-5"],
    "respiratory_rate": ["9279-1"],
    "body_weight": ["29463-7"],
    "blood_glucose": ["15074-8"],
}

fhir_ids = st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True)
aware_datetimes = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1)),
    st.integers(-12 * 60, 14 * 60),
)
# Within every kind's plausible range (body temperature 10..50 °C is the narrowest).
readings = st.floats(10, 50, allow_nan=False)


def test_kinds_are_the_published_seven():
    assert tuple(UNITS) == VITAL_KINDS


@pytest.mark.parametrize("kind", VITAL_KINDS)
def test_build_follows_the_vital_signs_profile(kind):
    value = (120.0, 80.0) if kind == "blood_pressure" else 42.0
    doc = build_observation("p-1", kind, value, WHEN, observation_id="o-1", device_id="d-1")
    assert doc["resourceType"] == "Observation"
    assert doc["id"] == "o-1"
    assert doc["status"] == "final"
    assert doc["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]
    [category] = doc["category"]
    assert category["coding"][0]["system"] == (
        "http://terminology.hl7.org/CodeSystem/observation-category"
    )
    assert category["coding"][0]["code"] == "vital-signs"
    assert [c["code"] for c in doc["code"]["coding"] if c["system"] == LOINC] == CODES[kind]
    assert doc["subject"] == {"reference": "Patient/p-1"}
    assert doc["device"] == {"reference": "Device/d-1"}
    assert doc["effectiveDateTime"] == "2024-05-01T07:30:00+02:00"
    quantities = (
        [part["valueQuantity"] for part in doc["component"]]
        if kind == "blood_pressure"
        else [doc["valueQuantity"]]
    )
    for quantity in quantities:
        assert quantity["system"] == UCUM
        assert quantity["code"] == UNITS[kind]


def test_blood_pressure_components_are_systolic_then_diastolic():
    doc = build_observation("p-1", "blood_pressure", (132, 84), WHEN)
    assert "valueQuantity" not in doc
    parts = [
        (p["code"]["coding"][0]["code"], p["valueQuantity"]["value"]) for p in doc["component"]
    ]
    assert parts == [("8480-6", 132.0), ("8462-4", 84.0)]


@given(
    kind=st.sampled_from(VITAL_KINDS),
    patient_id=fhir_ids,
    effective=aware_datetimes,
    first=readings,
    second=readings,
    observation_id=st.none() | fhir_ids,
    device_id=st.none() | fhir_ids,
)
def test_build_then_parse_round_trips(
    kind, patient_id, effective, first, second, observation_id, device_id
):
    value = (first, second) if kind == "blood_pressure" else first
    doc = build_observation(
        patient_id, kind, value, effective, observation_id=observation_id, device_id=device_id
    )
    parsed = parse_observation(json.loads(json.dumps(doc)))
    values = (
        {"systolic": first, "diastolic": second} if kind == "blood_pressure" else {"value": first}
    )
    assert parsed == VitalObservation(
        observation_id, patient_id, kind, effective, values, UNITS[kind], device_id
    )
    assert parsed.effective.utcoffset() == effective.utcoffset()


def _lean(code: str, value: float, unit: dict[str, str]) -> dict[str, Any]:
    """An Observation as another hub sends it: no profile, no category, one LOINC code."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "https://fhir.example.org/Patient/p-7"},
        "effectiveDateTime": "2024-05-01T05:30:00Z",
        "valueQuantity": {"value": value, **unit},
    }


@pytest.mark.parametrize(
    ("code", "unit", "kind"),
    [
        ("2708-6", {"system": UCUM, "code": "%"}, "spo2"),
        ("59408-5", {"unit": "%"}, "spo2"),
        ("8867-4", {"system": UCUM, "code": "{beats}/min"}, "heart_rate"),
        ("8310-5", {"system": UCUM, "code": "Cel"}, "body_temperature"),
        ("29463-7", {"unit": "kg"}, "body_weight"),
    ],
)
def test_parse_accepts_a_vital_sign_coded_only_by_loinc(code, unit, kind):
    parsed = parse_observation(_lean(code, 37, unit))
    assert (parsed.kind, parsed.values, parsed.patient_id) == (kind, {"value": 37.0}, "p-7")
    assert parsed.effective == datetime(2024, 5, 1, 5, 30, tzinfo=UTC)
    assert parsed.unit == UNITS[kind]
    assert parsed.observation_id is None and parsed.device_id is None


def test_parse_accepts_the_older_blood_pressure_panel_code():
    doc = build_observation("p-1", "blood_pressure", (120, 70), WHEN)
    doc["code"] = {"coding": [{"system": LOINC, "code": "55284-4"}]}
    assert parse_observation(doc).values == {"systolic": 120.0, "diastolic": 70.0}


def _good() -> dict[str, Any]:
    return build_observation("p-1", "body_temperature", 37.2, WHEN, device_id="t-1")


def _bp() -> dict[str, Any]:
    return build_observation("p-1", "blood_pressure", (120, 70), WHEN)


def _set(doc: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (_set(_good(), "subject", KeyError), "subject"),
        (_set(_good(), "resourceType", "Patient"), "resourceType"),
        (_set(_good(), "status", "preliminary"), "status"),
        (_set(_good(), "status", "entered-in-error"), "status"),
        (_set(_good(), "effectiveDateTime", "2024-05-01T07:30:00"), "effectiveDateTime"),
        (_set(_good(), "effectiveDateTime", "yesterday"), "effectiveDateTime"),
        (_set(_good(), "valueQuantity.value", "37.2"), "valueQuantity.value"),
        (_set(_good(), "valueQuantity.value", True), "valueQuantity.value"),
        (_set(_good(), "valueQuantity.value", -1), "valueQuantity.value"),
        (_set(_good(), "valueQuantity.code", "[degF]"), "valueQuantity.code"),
        (_set(_good(), "valueQuantity.system", "http://example.org/units"), "valueQuantity.system"),
        (_set(_good(), "valueQuantity", KeyError), "valueQuantity"),
        (_set(_good(), "subject.reference", "Group/ward-3"), "subject.reference"),
        (_set(_good(), "device.reference", "Patient/p-1"), "device.reference"),
        (_set(_good(), "code.coding.0.code", "1234-5"), "code"),
        (_set(_good(), "code.coding.0.system", "http://snomed.info/sct"), "code"),
        (
            _set(
                _good(), "code.coding", [{"system": LOINC, "code": c} for c in ("8310-5", "8867-4")]
            ),
            "conflicting",
        ),
        (_set(_bp(), "component.1.code.coding.0.code", "8480-6"), "diastolic"),
        (_set(_bp(), "component.0.valueQuantity.code", "kPa"), "component[8480-6].code"),
        (_set(_lean("2708-6", 101, {"unit": "%"}), "status", "final"), "outside 0..100"),
    ],
)
def test_malformed_documents_name_the_field(doc, field):
    with pytest.raises(DecodeError) as caught:
        parse_observation(doc)
    assert field in str(caught.value)
    assert caught.value.offset is None


def test_parse_refuses_what_is_not_a_json_object():
    with pytest.raises(DecodeError, match="expected a JSON object"):
        parse_observation([_good()])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("p-1", "pulse", 60.0, WHEN), "kind must be one of"),
        (("p 1", "heart_rate", 60.0, WHEN), "patient_id must be a FHIR id"),
        (("p-1", "heart_rate", 60.0, WHEN.replace(tzinfo=None)), "timezone-aware"),
        (("p-1", "blood_pressure", 120.0, WHEN), "(systolic, diastolic)"),
        (("p-1", "spo2", 100.5, WHEN), "outside 0..100"),
        (("p-1", "heart_rate", float("inf"), WHEN), "outside"),
        # What no living patient has: a faulty probe, refused before it can reach NEWS2.
        (("p-1", "body_temperature", 8.0, WHEN), "outside 10..50"),
        (("p-1", "heart_rate", 401.0, WHEN), "outside 0..400"),
        (("p-1", "respiratory_rate", 120.0, WHEN), "outside 0..100"),
        (("p-1", "blood_pressure", (401.0, 80.0), WHEN), "outside 0..400"),
        (("p-1", "heart_rate", "60", WHEN), "must be a number"),
    ],
)
def test_build_refuses_impossible_input(args, message):
    with pytest.raises(ValueError) as caught:
        build_observation(*args)
    assert message in str(caught.value)
