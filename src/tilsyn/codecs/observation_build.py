"""Building FHIR R4 vital-signs Observations in exactly the shape the profile asks for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tilsyn.codecs.fhir_schema import check_id, fhir_datetime
from tilsyn.codecs.vital_signs import (
    BLOOD_PRESSURE_COMPONENTS,
    CATEGORY_SYSTEM,
    KIND_BY_NAME,
    LOINC,
    UCUM,
    VITAL_KINDS,
    VITALSIGNS_PROFILE,
    VitalKind,
)


def build_observation(
    patient_id: str,
    kind: str,
    value: float | tuple[float, float],
    effective: datetime,
    *,
    observation_id: str | None = None,
    device_id: str | None = None,
) -> dict[str, Any]:
    """A FHIR R4 vital-signs Observation; `value` is (systolic, diastolic) for blood pressure."""
    vital = KIND_BY_NAME.get(kind)
    if vital is None:
        raise ValueError(f"kind must be one of {', '.join(VITAL_KINDS)}, got {kind!r}")
    doc: dict[str, Any] = {"resourceType": "Observation"}
    if observation_id is not None:
        doc["id"] = check_id(observation_id, "observation_id")
    doc |= {
        "meta": {"profile": [VITALSIGNS_PROFILE]},
        "status": "final",
        "category": [_vital_signs_category()],
        "code": _concept(vital.codings, vital.text),
        "subject": {"reference": f"Patient/{check_id(patient_id, 'patient_id')}"},
        "effectiveDateTime": fhir_datetime(effective, "effective"),
    }
    doc |= _value_elements(vital, value)
    if device_id is not None:
        doc["device"] = {"reference": f"Device/{check_id(device_id, 'device_id')}"}
    return doc


def _vital_signs_category() -> dict[str, Any]:
    coding = {"system": CATEGORY_SYSTEM, "code": "vital-signs", "display": "Vital Signs"}
    return {"coding": [coding], "text": "Vital Signs"}


def _concept(codings: tuple[tuple[str, str], ...], text: str) -> dict[str, Any]:
    coding = [{"system": LOINC, "code": code, "display": display} for code, display in codings]
    return {"coding": coding, "text": text}


def _quantity(vital: VitalKind, value: object, what: str) -> dict[str, Any]:
    number = vital.plausible(value, what)
    return {"value": number, "unit": vital.unit_display, "system": UCUM, "code": vital.unit}


def _value_elements(vital: VitalKind, value: object) -> dict[str, Any]:
    if vital.name != "blood_pressure":
        return {"valueQuantity": _quantity(vital, value, "value")}
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValueError(f"blood_pressure needs (systolic, diastolic), got {value!r}")
    return {
        "component": [
            {
                "code": _concept(((code, display),), display),
                "valueQuantity": _quantity(vital, number, name),
            }
            for (name, code, display), number in zip(BLOOD_PRESSURE_COMPONENTS, value, strict=True)
        ]
    }
