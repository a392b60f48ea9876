"""The questionnaires' answer colours as the care team sets them (the API), or as they come
with a scenario's patients (the demo)."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field

from tilsyn.platform.clinical.answers import MAX_QUESTIONS, QuestionnaireColours


def read_colours(conn: psycopg.Connection) -> dict[str, QuestionnaireColours]:
    """Every questionnaire's colours, by name."""
    rows = conn.execute(
        "SELECT questionnaire, questions FROM questionnaire_colours ORDER BY questionnaire"
    ).fetchall()
    return {
        name: QuestionnaireColours(questionnaire=name, questions=questions)
        for name, questions in rows
    }


def save_colours(
    conn: psycopg.Connection, colours: QuestionnaireColours, by: str, *, replace: bool
) -> bool:
    """Store the colours; with `replace` False those already set stay. True if stored."""
    on_conflict = (
        "DO UPDATE SET questions = EXCLUDED.questions, updated_by = EXCLUDED.updated_by,"
        " updated_at = now()"
        if replace
        else "DO NOTHING"
    )
    questions = [q.model_dump() for q in colours.questions]
    stored = conn.execute(
        "INSERT INTO questionnaire_colours (questionnaire, questions, updated_by)"
        f" VALUES (%s, %s, %s) ON CONFLICT (questionnaire) {on_conflict}",
        (colours.questionnaire, Jsonb(questions), by),
    )
    return stored.rowcount == 1


class AnsweredQuestionnaire(BaseModel):
    """A questionnaire patients answered lately, and what of it the colours leave unjudged.
    Counts and question names only: no patient, no answer."""

    model_config = ConfigDict(frozen=True)

    questionnaire: str
    coloured: bool = Field(description="the care team has set its colours")
    answer_sets: int
    patients: int
    last_answered: datetime
    questions: list[str] = Field(description="every question answered, by linkId")
    uncoloured_questions: list[str] = Field(
        description="questions answered that its colours do not mention (all, if uncoloured)"
    )


def answered_questionnaires(
    conn: psycopg.Connection, since: datetime
) -> list[AnsweredQuestionnaire]:
    """The questionnaires answered since `since`, by name. A hub asks what its questionnaire
    holds; answers to a questionnaire, or to a question, that has no colours are shown on the
    board but judged by nothing, so the care team needs to see them to colour them."""
    totals = conn.execute(
        "SELECT questionnaire, count(*), count(DISTINCT patient_id), max(time)"
        " FROM questionnaire_answers WHERE time >= %s GROUP BY questionnaire"
        " ORDER BY questionnaire",
        (since,),
    ).fetchall()
    asked: dict[str, list[str]] = {}
    for name, link_id in conn.execute(
        "SELECT DISTINCT questionnaire, link_id FROM questionnaire_answers,"
        " jsonb_object_keys(answers) AS question(link_id) WHERE time >= %s"
        " ORDER BY questionnaire, link_id",
        (since,),
    ):
        asked.setdefault(name, []).append(link_id)
    colours = read_colours(conn)
    answered = []
    for name, answer_sets, patients, last in totals:
        known = colours.get(name)
        coloured = {q.link_id for q in known.questions} if known else set()
        questions = asked.get(name, [])[:MAX_QUESTIONS]
        answered.append(
            AnsweredQuestionnaire(
                questionnaire=name,
                coloured=known is not None,
                answer_sets=answer_sets,
                patients=patients,
                last_answered=last,
                questions=questions,
                uncoloured_questions=[q for q in questions if q not in coloured],
            )
        )
    return answered
