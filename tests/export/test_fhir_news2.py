"""NEWS2 scores as FHIR Observations: SNOMED CT total and sub-scores, partial scores marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation

from tilsyn.platform.clinical.news2 import score
from tilsyn.platform.clinical.vitals import Vitals
from tilsyn.platform.export.fhir_news2 import SUB_SCORE_CODES, news2_observation

AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
SNOMED = "http://snomed.info/sct"
COMPLETE = Vitals(
    respiration_rate=22,
    spo2=95,
    on_oxygen=False,
    systolic_bp=105,
    pulse=112,
    consciousness="A",
    temperature_c=38.3,
)


def components(doc: dict[str, Any]) -> dict[str, Any]:
    """SNOMED sub-score code -> points, or the data-absent code."""
    found = {}
    for part in doc["component"]:
        [coding] = part["code"]["coding"]
        assert coding["system"] == SNOMED
        if "valueQuantity" in part:
            found[coding["code"]] = part["valueQuantity"]["value"]
        else:
            found[coding["code"]] = part["dataAbsentReason"]["coding"][0]["code"]
    return found


def test_a_complete_score_carries_its_total_and_every_sub_score() -> None:
    result = score(COMPLETE)
    doc = news2_observation(result, "P1", AT, derived_from=["vs-1", "vs-2"])
    Observation.model_validate(doc)
    assert doc["code"]["coding"][0] == {
        "system": SNOMED,
        "code": "1104051000000101",
        "display": "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score",
    }
    assert doc["category"][0]["coding"][0]["code"] == "survey"
    assert doc["valueQuantity"] == {
        "value": result.total,
        "unit": "score",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    assert result.total == 7
    code = {name: pair[0] for name, pair in SUB_SCORE_CODES.items()}
    assert components(doc) == {
        code["respiration_rate"]: 2,
        code["spo2_scale_1"]: 1,
        code["air_or_oxygen"]: 0,
        code["systolic_bp"]: 1,
        code["pulse"]: 2,
        code["consciousness"]: 0,
        code["temperature"]: 1,
    }
    assert "note" not in doc
    assert doc["interpretation"] == [{"text": result.response}]
    assert doc["derivedFrom"] == [
        {"reference": "Observation/vs-1"},
        {"reference": "Observation/vs-2"},
    ]


def test_a_partial_score_marks_each_missing_parameter_and_says_it_is_a_minimum() -> None:
    result = score(Vitals(spo2=93, systolic_bp=105, pulse=112, temperature_c=38.3))
    doc = news2_observation(result, "P1", AT)
    Observation.model_validate(doc)
    found = components(doc)
    for missing in ("respiration_rate", "air_or_oxygen", "consciousness"):
        assert found[SUB_SCORE_CODES[missing][0]] == "unknown"
    assert found[SUB_SCORE_CODES["pulse"][0]] == 2
    assert "respiration rate" in doc["note"][0]["text"]
    assert "minimum" in doc["note"][0]["text"]


def test_scale_two_saturation_uses_its_own_code() -> None:
    result = score(Vitals(spo2=90, spo2_scale=2, on_oxygen=True))
    found = components(news2_observation(result, "P1", AT))
    assert SUB_SCORE_CODES["spo2_scale_2"][0] in found
    assert SUB_SCORE_CODES["spo2_scale_1"][0] not in found


def test_the_id_is_stable_for_the_same_patient_and_instant() -> None:
    result = score(COMPLETE)
    same_instant = AT.astimezone(timezone(timedelta(hours=1)))
    first = news2_observation(result, "P1", AT)["id"]
    assert news2_observation(result, "P1", same_instant)["id"] == first
    assert news2_observation(result, "P2", AT)["id"] != first
    assert news2_observation(result, "P1", AT + timedelta(minutes=1))["id"] != first


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        news2_observation(score(COMPLETE), "P1", datetime(2026, 3, 2, 8, 30))
