"""The questionnaires' answer colours as the care team sets them (the API), or as they come
with a scenario's patients (the demo)."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from tilsyn.platform.clinical.answers import QuestionnaireColours


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
