"""Reading vital signs from FHIR R4 Observations, our own and other hubs' leaner ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.fhir_schema import (
    CodeableConcept,
    ObservationDoc,
    Quantity,
    plain_utc_offset,
    reference_id,
    validate,
)
from tilsyn.codecs.vital_signs import (
    BLOOD_PRESSURE_COMPONENTS,
    KIND_BY_LOINC,
    LOINC,
    UCUM,
    VitalKind,
)


@dataclass(frozen=True)
class VitalObservation:
    observation_id: str | None
    patient_id: str
    kind: str
    effective: datetime
    values: dict[str, float]  # systolic/diastolic for blood_pressure, else "value"
    unit: str  # UCUM code
    device_id: str | None


def parse_observation(doc: Mapping[str, Any]) -> VitalObservation:
    """A vital sign from an Observation; DecodeError names the field that is wrong."""
    observation = validate(ObservationDoc, doc, "Observation")
    vital = _kind_of(observation.code)
    if vital.name == "blood_pressure":
        values = _blood_pressure_values(observation, vital)
    elif observation.valueQuantity is None:
        raise DecodeError(f"Observation: valueQuantity is required for {vital.name}")
    else:
        values = {"value": _quantity_value(vital, observation.valueQuantity, "valueQuantity")}
    device = observation.device
    return VitalObservation(
        observation_id=observation.id,
        patient_id=reference_id(observation.subject, "Patient", "subject"),
        kind=vital.name,
        effective=plain_utc_offset(observation.effectiveDateTime),
        values=values,
        unit=vital.unit,
        device_id=None if device is None else reference_id(device, "Device", "device"),
    )


def _loinc_codes(concept: CodeableConcept) -> list[str]:
    return [c.code for c in concept.coding if c.system == LOINC and c.code is not None]


def _kind_of(concept: CodeableConcept) -> VitalKind:
    codes = _loinc_codes(concept)
    kinds = {
        KIND_BY_LOINC[code].name: KIND_BY_LOINC[code] for code in codes if code in KIND_BY_LOINC
    }
    if len(kinds) != 1:
        found = ", ".join(codes) or "none"
        problem = "no vital-sign" if not kinds else "conflicting vital-sign"
        raise DecodeError(f"Observation: code: {problem} LOINC code (LOINC codes: {found})")
    return next(iter(kinds.values()))


def _blood_pressure_values(observation: ObservationDoc, vital: VitalKind) -> dict[str, float]:
    by_code = {code: part for part in observation.component for code in _loinc_codes(part.code)}
    values: dict[str, float] = {}
    for name, code, _ in BLOOD_PRESSURE_COMPONENTS:
        part = by_code.get(code)
        if part is None or part.valueQuantity is None:
            raise DecodeError(f"Observation: component: no {name} value (LOINC {code})")
        values[name] = _quantity_value(vital, part.valueQuantity, f"component[{code}]")
    return values


def _quantity_value(vital: VitalKind, quantity: Quantity, field: str) -> float:
    """The value, once its unit is the one the kind is stored in (no silent conversion)."""
    if quantity.system is not None and quantity.system != UCUM:
        raise DecodeError(f"Observation: {field}.system must be {UCUM}, got {quantity.system!r}")
    unit = quantity.code if quantity.code is not None else quantity.unit
    if unit not in vital.units:
        expected = " or ".join(vital.units)
        raise DecodeError(f"Observation: {field}.code must be {expected}, got {unit!r}")
    try:
        return vital.plausible(quantity.value, "value")
    except ValueError as error:
        raise DecodeError(f"Observation: {field}.value: {error}") from None
