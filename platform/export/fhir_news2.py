"""A NEWS2 score as a FHIR R4 Observation, coded the way NHS and Norwegian EPRs already read it.

LOINC has no code for the NEWS2 total, so the code is SNOMED CT 1104051000000101 "Royal College
of Physicians NEWS2 (National Early Warning Score 2) total score" (UK edition), with one
component per parameter coded by its SNOMED CT sub-score concept. This is the coding of NHS
Digital's NEWS2 FHIR guidance and of HL7 Norway's observation examples. The category is
`survey` (an assessment score, not a vital sign), and values are UCUM `{score}` quantities.

A score from partial vitals must not pass for a complete one: each missing parameter is a
component with a `dataAbsentReason` instead of a value, and a note says the total is a lower
bound.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tilsyn.codecs.fhir_schema import check_id, fhir_datetime
from tilsyn.codecs.vital_signs import CATEGORY_SYSTEM, UCUM
from tilsyn.platform.clinical.news2 import PARAMETERS, News2Score

SNOMED = "http://snomed.info/sct"
DATA_ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
RCP = "Royal College of Physicians NEWS2 (National Early Warning Score 2)"
TOTAL_CODE = ("1104051000000101", f"{RCP} total score")
SUB_SCORE_CODES: dict[str, tuple[str, str]] = {
    "respiration_rate": ("1104301000000104", f"{RCP} - respiration rate score"),
    "spo2_scale_1": ("1104311000000102", f"{RCP} - oxygen saturation scale 1 score"),
    "spo2_scale_2": ("1104321000000108", f"{RCP} - oxygen saturation scale 2 score"),
    "air_or_oxygen": ("1104331000000105", f"{RCP} - air or oxygen score"),
    "systolic_bp": ("1104341000000101", f"{RCP} - systolic blood pressure score"),
    "pulse": ("1104351000000103", f"{RCP} - pulse score"),
    "consciousness": ("1104361000000100", f"{RCP} - consciousness score"),
    "temperature": ("1104371000000107", f"{RCP} - temperature score"),
}


def news2_observation(
    score: News2Score,
    patient_id: str,
    effective: datetime,
    *,
    derived_from: Sequence[str] = (),
) -> dict[str, Any]:
    """The score as an Observation; `derived_from` are the ids of the vital-sign Observations
    it was computed from. The id is stable: the same patient and time give the same id."""
    doc: dict[str, Any] = {
        "resourceType": "Observation",
        "id": news2_resource_id(patient_id, effective),
        "status": "final",
        "category": [_survey_category()],
        "code": _snomed_concept(*TOTAL_CODE, text="NEWS2 total score"),
        "subject": {"reference": f"Patient/{check_id(patient_id, 'patient_id')}"},
        "effectiveDateTime": fhir_datetime(effective, "effective"),
        "valueQuantity": _score_quantity(score.total),
        "interpretation": [{"text": score.response}],
        "component": [_component(score, name) for name in PARAMETERS],
    }
    if not score.complete:
        missing = ", ".join(name.replace("_", " ") for name in score.missing)
        doc["note"] = [{"text": f"Partial score, not measured: {missing}. Total is a minimum."}]
    if derived_from:
        ids = [check_id(ref, "derived_from") for ref in derived_from]
        doc["derivedFrom"] = [{"reference": f"Observation/{ref}"} for ref in ids]
    return doc


def news2_resource_id(patient_id: str, effective: datetime) -> str:
    fhir_datetime(effective, "effective")  # refuses a naive time, which names no instant
    moment = effective.astimezone(UTC).isoformat()
    digest = hashlib.sha256(f"news2\x1f{patient_id}\x1f{moment}".encode()).hexdigest()
    return f"news2-{digest[:40]}"


def _component(score: News2Score, parameter: str) -> dict[str, Any]:
    key = f"spo2_scale_{score.scale}" if parameter == "spo2" else parameter
    component: dict[str, Any] = {"code": _snomed_concept(*SUB_SCORE_CODES[key])}
    points = score.points.get(parameter)
    if points is None:
        # "unknown" rather than "not-performed": SpO2 on scale 2 can be measured yet unscorable
        # when nobody said whether the patient was on oxygen.
        coding = {"system": DATA_ABSENT_SYSTEM, "code": "unknown", "display": "Unknown"}
        component["dataAbsentReason"] = {"coding": [coding]}
    else:
        component["valueQuantity"] = _score_quantity(points)
    return component


def _survey_category() -> dict[str, Any]:
    return {"coding": [{"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}


def _snomed_concept(code: str, display: str, *, text: str | None = None) -> dict[str, Any]:
    return {
        "coding": [{"system": SNOMED, "code": code, "display": display}],
        "text": text or display,
    }


def _score_quantity(points: int) -> dict[str, Any]:
    return {"value": points, "unit": "score", "system": UCUM, "code": "{score}"}
