"""Patients' answers to their self-management questionnaire as FHIR R4 QuestionnaireResponse.

Answers are flat: one value per `linkId`. Groups (items nested in items) are flattened on parse,
since linkIds are unique within a questionnaire.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.fhir_schema import (
    Coding,
    Element,
    FiniteNumber,
    Reference,
    Text,
    check_id,
    fhir_datetime,
    plain_utc_offset,
    reference_id,
    validate,
)

AnswerValue = str | float | bool


class _Answer(Element):
    valueString: Annotated[str, Field(strict=True)] | None = None
    valueDecimal: FiniteNumber | None = None
    valueInteger: Annotated[int, Field(strict=True)] | None = None
    valueBoolean: Annotated[bool, Field(strict=True)] | None = None
    valueCoding: Coding | None = None


class _Item(Element):
    linkId: Text
    answer: list[_Answer] = Field(default_factory=list)
    item: list[_Item] = Field(default_factory=list)


class _ResponseDoc(Element):
    resourceType: Literal["QuestionnaireResponse"]
    id: Text | None = None
    questionnaire: Text
    status: Literal["completed", "amended"]
    subject: Reference
    authored: AwareDatetime
    item: list[_Item] = Field(default_factory=list)


@dataclass(frozen=True)
class QuestionnaireAnswer:
    response_id: str | None
    patient_id: str
    questionnaire: str
    authored: datetime
    answers: dict[str, AnswerValue]


def build_questionnaire_response(
    patient_id: str,
    questionnaire: str,
    answers: Mapping[str, AnswerValue],
    authored: datetime,
    *,
    response_id: str | None = None,
) -> dict[str, Any]:
    """A completed QuestionnaireResponse; numbers are sent as valueDecimal."""
    if not isinstance(questionnaire, str) or not questionnaire:
        raise ValueError(f"questionnaire must be a non-empty string, got {questionnaire!r}")
    doc: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if response_id is not None:
        doc["id"] = check_id(response_id, "response_id")
    return doc | {
        "questionnaire": questionnaire,
        "status": "completed",
        "subject": {"reference": f"Patient/{check_id(patient_id, 'patient_id')}"},
        "authored": fhir_datetime(authored, "authored"),
        "item": [_item(link_id, value) for link_id, value in answers.items()],
    }


def _item(link_id: str, value: object) -> dict[str, Any]:
    if not isinstance(link_id, str) or not link_id:
        raise ValueError(f"answer keys (linkIds) must be non-empty strings, got {link_id!r}")
    if isinstance(value, bool):
        answer: dict[str, Any] = {"valueBoolean": value}
    elif isinstance(value, int | float):
        answer = {"valueDecimal": float(value)}
    elif isinstance(value, str):
        answer = {"valueString": value}
    else:
        raise ValueError(f"answer {link_id!r} must be text, a number or a bool, got {value!r}")
    return {"linkId": link_id, "answer": [answer]}


def parse_questionnaire_response(doc: Mapping[str, Any]) -> QuestionnaireAnswer:
    """The answers of a completed response; DecodeError names the field that is wrong."""
    response = validate(_ResponseDoc, doc, "QuestionnaireResponse")
    answers: dict[str, AnswerValue] = {}
    for item in _answered_items(response.item):
        if item.linkId in answers:
            raise DecodeError(f"QuestionnaireResponse: item: linkId {item.linkId!r} repeats")
        answers[item.linkId] = _answer_value(item)
    return QuestionnaireAnswer(
        response_id=response.id,
        patient_id=reference_id(response.subject, "Patient", "subject"),
        questionnaire=response.questionnaire,
        authored=plain_utc_offset(response.authored),
        answers=answers,
    )


def _answered_items(items: list[_Item]) -> Iterator[_Item]:
    for item in items:
        if item.answer:
            yield item
        yield from _answered_items(item.item)


def _answer_value(item: _Item) -> AnswerValue:
    if len(item.answer) != 1:
        reason = f"item {item.linkId!r} has {len(item.answer)} answers, one expected"
        raise DecodeError(f"QuestionnaireResponse: {reason}")
    answer = item.answer[0]
    candidates: list[AnswerValue | None] = [
        answer.valueString,
        answer.valueBoolean,
        None if answer.valueDecimal is None else float(answer.valueDecimal),
        None if answer.valueInteger is None else float(answer.valueInteger),
        None if answer.valueCoding is None else answer.valueCoding.code,
    ]
    present = [value for value in candidates if value is not None]
    if len(present) != 1:
        reason = f"item {item.linkId!r}: answer needs exactly one supported value[x]"
        raise DecodeError(f"QuestionnaireResponse: {reason}")
    return present[0]
