"""Questionnaire answers as FHIR QuestionnaireResponse: round trip and refusal of bad input."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tilsyn.codecs import DecodeError
from tilsyn.codecs.fhir import (
    QuestionnaireAnswer,
    build_questionnaire_response,
    parse_questionnaire_response,
)

WHEN = datetime(2024, 5, 1, 8, 0, tzinfo=timezone(timedelta(hours=1)))
COPD = "https://example.org/fhir/Questionnaire/copd-daily"

answer_values = st.one_of(
    st.text(max_size=40), st.booleans(), st.floats(allow_nan=False, allow_infinity=False)
)


@given(
    answers=st.dictionaries(st.text(min_size=1, max_size=20), answer_values, max_size=8),
    response_id=st.none() | st.from_regex(r"[a-z0-9\-]{1,20}", fullmatch=True),
)
def test_build_then_parse_round_trips(answers, response_id):
    doc = build_questionnaire_response("p-1", COPD, answers, WHEN, response_id=response_id)
    parsed = parse_questionnaire_response(json.loads(json.dumps(doc)))
    assert parsed == QuestionnaireAnswer(response_id, "p-1", COPD, WHEN, answers)
    for link_id, value in parsed.answers.items():
        assert type(value) is type(answers[link_id])


def test_built_response_is_completed_and_typed():
    doc = build_questionnaire_response("p-1", COPD, {"breathless": True, "cough": 2}, WHEN)
    assert doc["status"] == "completed"
    assert doc["subject"] == {"reference": "Patient/p-1"}
    assert doc["authored"] == "2024-05-01T08:00:00+01:00"
    assert doc["item"] == [
        {"linkId": "breathless", "answer": [{"valueBoolean": True}]},
        {"linkId": "cough", "answer": [{"valueDecimal": 2.0}]},
    ]


def test_parse_flattens_groups_and_reads_integer_and_coding_answers():
    doc = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": COPD,
        "status": "amended",
        "subject": {"reference": "Patient/p-2"},
        "authored": "2024-05-01T06:00:00Z",
        "item": [
            {
                "linkId": "symptoms",
                "item": [
                    {"linkId": "steps", "answer": [{"valueInteger": 3200}]},
                    {"linkId": "sputum", "answer": [{"valueCoding": {"code": "yellow"}}]},
                ],
            },
            {"linkId": "unanswered"},
        ],
    }
    parsed = parse_questionnaire_response(doc)
    assert parsed.answers == {"steps": 3200.0, "sputum": "yellow"}
    assert parsed.authored == datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def _good() -> dict[str, Any]:
    return build_questionnaire_response("p-1", COPD, {"breathless": True}, WHEN)


def _with(**changes: object) -> dict[str, Any]:
    doc = copy.deepcopy(_good())
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (_with(status="in-progress"), "status"),
        (_with(authored="2024-05-01T08:00:00"), "authored"),
        (_with(subject={"reference": "Practitioner/n-1"}), "subject.reference"),
        (_with(questionnaire=""), "questionnaire"),
        (_with(item=[{"answer": [{"valueBoolean": True}]}]), "item.0.linkId"),
        (_with(item=[{"linkId": "a", "answer": [{"valueBoolean": "yes"}]}]), "valueBoolean"),
        (
            _with(item=[{"linkId": "a", "answer": [{"valueBoolean": True}, {"valueString": "x"}]}]),
            "2 answers",
        ),
        (
            _with(item=[{"linkId": "a", "answer": [{"valueBoolean": True, "valueString": "x"}]}]),
            "exactly one",
        ),
        (_with(item=[{"linkId": "a", "answer": [{"valueAttachment": {}}]}]), "exactly one"),
        (
            _with(item=[{"linkId": "a", "answer": [{"valueString": "x"}]}] * 2),
            "linkId 'a' repeats",
        ),
    ],
)
def test_malformed_responses_name_the_field(doc, field):
    with pytest.raises(DecodeError) as caught:
        parse_questionnaire_response(doc)
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"a": None}, "must be text, a number or a bool"),
        ({"": "x"}, "non-empty strings"),
    ],
)
def test_build_refuses_answers_fhir_cannot_carry(answers, message):
    with pytest.raises(ValueError, match=message):
        build_questionnaire_response("p-1", COPD, answers, WHEN)
