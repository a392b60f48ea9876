"""Questionnaire answers judged green / yellow / red, as the self-management plan reads them.

In digital home follow-up the patient answers a questionnaire from their plan ("more
breathless than usual?"), and the answers are coloured like the measurements: yellow means
call the patient, red means act on the plan (DOMAIN.md §5). The care team sets, per question,
which answers take which colour; every patient who answers that questionnaire is read the same
way.

An answer the colours do not list is yellow: it means the patient's hub asks something the
plan does not know (another version of the questionnaire), and someone should look rather
than let it pass as green. A question left unanswered, or one the colours do not mention,
takes no colour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from tilsyn.platform.clinical.plan import Colour, worst

# An answer as FHIR carries it: a coded or free answer, yes/no, or a number.
Answer = bool | float | Annotated[str, StringConstraints(min_length=1, max_length=200)]
LinkId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
QuestionnaireName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
MAX_QUESTIONS = 50
NO_COLOURS = "no colours set for this questionnaire"
MAX_ANSWERS_PER_COLOUR = 20


class QuestionColours(BaseModel):
    """Which answers to one question (its linkId) are green, yellow and red."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    link_id: LinkId
    green: list[Answer] = Field(default=[], max_length=MAX_ANSWERS_PER_COLOUR)
    yellow: list[Answer] = Field(default=[], max_length=MAX_ANSWERS_PER_COLOUR)
    red: list[Answer] = Field(default=[], max_length=MAX_ANSWERS_PER_COLOUR)

    # Each listed answer's colour by its key, built once when the colours are read: the
    # alert engine looks up every answer set it stores.
    _colour_by_key: dict[tuple[str, Any], Colour] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _each_answer_one_colour(self) -> QuestionColours:
        by_key: dict[tuple[str, Any], Colour] = {}
        colour: Colour
        for colour in ("green", "yellow", "red"):
            for answer in getattr(self, colour):
                key = _answer_key(answer)
                if key in by_key:
                    raise ValueError(
                        f"{self.link_id}: the answer {_said(answer)} is both {by_key[key]} and"
                        f" {colour}"
                    )
                by_key[key] = colour
        if not by_key:
            raise ValueError(f"{self.link_id}: no answer is given a colour")
        self._colour_by_key = by_key
        return self

    def colour_of(self, answer: Answer) -> Colour | None:
        return self._colour_by_key.get(_answer_key(answer))


def _one_entry_per_question(questions: list[QuestionColours]) -> list[QuestionColours]:
    ids = [q.link_id for q in questions]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"one entry per question; twice: {', '.join(twice)}")
    return questions


Questions = Annotated[
    list[QuestionColours],
    Field(min_length=1, max_length=MAX_QUESTIONS),
    AfterValidator(_one_entry_per_question),
]


class QuestionnaireColours(BaseModel):
    """How one questionnaire's answers are read; one entry per question."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    questionnaire: QuestionnaireName
    questions: Questions


class AnswersJudged(BaseModel):
    """The colour of one answer set, the answers that gave it, in a nurse's words."""

    model_config = ConfigDict(frozen=True)

    colour: Colour | None = Field(description="the worst answer's colour; None: nothing judged")
    flags: tuple[str, ...] = Field(description="every answer that is not green, with its colour")
    reason: str


def judge_answers(
    colours: QuestionnaireColours | None, answers: Mapping[str, Any]
) -> AnswersJudged:
    """Colour each answered question the colours mention; the set takes the worst. A
    questionnaire without colours (None) is not judged."""
    if colours is None:
        return AnswersJudged(colour=None, flags=(), reason=NO_COLOURS)
    found: list[tuple[Colour, str]] = []
    for question in colours.questions:
        if question.link_id not in answers:
            continue
        answer = answers[question.link_id]
        said = f"{_words(question.link_id)}: {_said(answer)}"
        colour = question.colour_of(answer) if _is_answer(answer) else None
        if colour is None:
            found.append(("yellow", f"{said} (not an answer the plan colours; yellow)"))
        else:
            found.append((colour, f"{said} ({colour})"))
    if not found:
        return AnswersJudged(colour=None, flags=(), reason="no answer the plan colours")
    flags = tuple(text for colour, text in found if colour != "green")
    return AnswersJudged(
        colour=worst(colour for colour, _ in found),
        flags=flags,
        reason="; ".join(flags) if flags else "every answer green",
    )


def _is_answer(value: Any) -> bool:
    return isinstance(value, bool | int | float | str)


def _answer_key(answer: Any) -> tuple[str, Any]:
    """Compares yes/no, numbers and text apart: in Python True == 1."""
    if isinstance(answer, bool):
        return ("yes/no", answer)
    if isinstance(answer, int | float):
        return ("number", float(answer))
    return ("text", answer)


def _said(answer: Any) -> str:
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if isinstance(answer, str):
        return _words(answer)
    if isinstance(answer, float) and answer.is_integer():
        return f"{answer:g}"
    return str(answer)


def _words(code: str) -> str:
    """A code ("much_worse") as a nurse reads it."""
    return code.replace("_", " ")
