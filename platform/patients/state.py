"""Each patient's latest measurements, judged by their own plan and by NEWS2, and their latest
answers to each questionnaire, judged by its colours."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import get_args

import psycopg
from pydantic import BaseModel

from tilsyn.platform.alerts.rules_patients import NEWS2_FIELDS, NEWS2_WINDOW
from tilsyn.platform.clinical.answers import QuestionnaireColours, judge_answers
from tilsyn.platform.clinical.news2 import News2Score, score_readings
from tilsyn.platform.clinical.plan import (
    Colour,
    Evaluation,
    Kind,
    Threshold,
    evaluate,
    worst,
    worst_colour,
)
from tilsyn.platform.clinical.triage import PatientStatus, TriagePosition, triage
from tilsyn.platform.patients.questionnaires import read_colours
from tilsyn.platform.registry.models import Spo2Scale

LATEST_WITHIN = timedelta(days=14)


class LatestValue(BaseModel):
    kind: str
    value: float
    unit: str
    time: datetime
    colour: str | None
    reason: str | None


class LatestAnswers(BaseModel):
    questionnaire: str
    time: datetime
    colour: Colour | None  # None: the questionnaire has no colours, or none of its answers
    flags: tuple[str, ...]  # the answers that are not green
    reason: str


class PatientSummary(BaseModel):
    patient_id: str
    unit: str
    position: int
    urgency_reason: str
    colour: str | None  # the worst of the latest values and answers
    news2: News2Score | None
    spo2_scale: Spo2Scale  # the one NEWS2 scores this patient on, even with no recent values
    last_measurement: datetime | None
    latest: list[LatestValue]
    answers: list[LatestAnswers]


def triage_board(conn: psycopg.Connection, now: datetime) -> list[PatientSummary]:
    """Every patient, most urgent first, with what makes them so."""
    patients = conn.execute("SELECT patient_id, unit, spo2_scale FROM patients").fetchall()
    units: dict[str, str] = {patient_id: unit for patient_id, unit, _ in patients}
    scales: dict[str, Spo2Scale] = {patient_id: scale for patient_id, _, scale in patients}
    latest = _latest_values(conn, now)
    last_any = _last_measurements(conn, now)
    missed = _missed_tasks(conn)
    thresholds = _thresholds(conn)
    answers = _latest_answers(conn, now, read_colours(conn))
    statuses, details = [], {}
    for patient_id in units:
        values = latest.get(patient_id, [])
        judged = _judge(values, thresholds.get(patient_id, {}))
        news2 = _news2(values, now, scales[patient_id])
        last = last_any.get(patient_id)
        colour = worst_colour(e for e in judged.values() if e is not None)
        answered = answers.get(patient_id, [])
        answers_colour = worst(a.colour for a in answered)
        statuses.append(
            PatientStatus(
                patient_id=patient_id,
                colour=colour,
                news2_band=news2.band if news2 else None,
                last_measurement=last,
                missed=missed.get(patient_id, ()),
                answers_colour=answers_colour,
                answer_flags=tuple(flag for a in answered for flag in a.flags),
            )
        )
        details[patient_id] = (values, judged, news2, last, worst((colour, answers_colour)))
    board = []
    for position in triage(statuses, now, LATEST_WITHIN):
        values, judged, news2, last, colour = details[position.patient_id]
        patient_id = position.patient_id
        board.append(
            _summary(
                position, units[patient_id], scales[patient_id], values, judged, news2, last, colour
            ).model_copy(update={"answers": answers.get(patient_id, [])})
        )
    return board


def _latest_values(
    conn: psycopg.Connection, now: datetime
) -> dict[str, list[tuple[str, float, datetime, str]]]:
    rows = conn.execute(
        """SELECT DISTINCT ON (patient_id, kind) patient_id, kind, value, time, unit
           FROM vital_observations WHERE time >= %s AND time <= %s
           ORDER BY patient_id, kind, time DESC""",
        (now - LATEST_WITHIN, now),
    ).fetchall()
    latest: dict[str, list[tuple[str, float, datetime, str]]] = {}
    for patient_id, kind, value, time, unit in rows:
        latest.setdefault(patient_id, []).append((kind, value, time, unit))
    return latest


def _latest_answers(
    conn: psycopg.Connection, now: datetime, colours: dict[str, QuestionnaireColours]
) -> dict[str, list[LatestAnswers]]:
    """Each patient's latest answers to each questionnaire within LATEST_WITHIN, judged."""
    rows = conn.execute(
        """SELECT DISTINCT ON (patient_id, questionnaire) patient_id, questionnaire, time, answers
           FROM questionnaire_answers WHERE time >= %s AND time <= %s
           ORDER BY patient_id, questionnaire, time DESC""",
        (now - LATEST_WITHIN, now),
    ).fetchall()
    latest: dict[str, list[LatestAnswers]] = {}
    for patient_id, questionnaire, time, given in rows:
        judged = judge_answers(colours.get(questionnaire), given)
        latest.setdefault(patient_id, []).append(
            LatestAnswers(
                questionnaire=questionnaire,
                time=time,
                colour=judged.colour,
                flags=judged.flags,
                reason=judged.reason,
            )
        )
    return latest


def _last_measurements(conn: psycopg.Connection, now: datetime) -> dict[str, datetime]:
    """Each patient's latest measurement of any age: one index probe per patient and kind
    (vital_observations_by_patient), not a scan of the whole history."""
    rows = conn.execute(
        """SELECT p.patient_id, max(l.time)
           FROM patients p CROSS JOIN unnest(%s::text[]) AS k(kind)
           CROSS JOIN LATERAL (
               SELECT time FROM vital_observations v
               WHERE v.patient_id = p.patient_id AND v.kind = k.kind AND v.time <= %s
               ORDER BY v.time DESC LIMIT 1) l
           GROUP BY p.patient_id""",
        (list(get_args(Kind)), now),
    ).fetchall()
    return {patient_id: last for patient_id, last in rows}


def _missed_tasks(conn: psycopg.Connection) -> dict[str, tuple[str, ...]]:
    """The open missed-task warnings (raised by the clock rules), per patient."""
    rows = conn.execute(
        """SELECT entity_id, title FROM alerts
           WHERE entity_type = 'patient' AND rule LIKE 'missed:%%' AND state <> 'resolved'
           ORDER BY entity_id, rule"""
    ).fetchall()
    missed: dict[str, tuple[str, ...]] = {}
    for patient_id, title in rows:
        missed[patient_id] = (*missed.get(patient_id, ()), title)
    return missed


def _thresholds(conn: psycopg.Connection) -> dict[str, dict[str, Threshold]]:
    result: dict[str, dict[str, Threshold]] = {}
    for r in conn.execute(
        "SELECT patient_id, kind, green_low, green_high, yellow_low, yellow_high"
        " FROM patient_thresholds"
    ):
        result.setdefault(r[0], {})[r[1]] = Threshold(
            kind=r[1], green_low=r[2], green_high=r[3], yellow_low=r[4], yellow_high=r[5]
        )
    return result


def _judge(
    values: list[tuple[str, float, datetime, str]], thresholds: dict[str, Threshold]
) -> dict[str, Evaluation | None]:
    return {
        kind: evaluate(thresholds[kind], value) if kind in thresholds else None
        for kind, value, _, _ in values
    }


def _news2(
    values: list[tuple[str, float, datetime, str]], now: datetime, spo2_scale: Spo2Scale
) -> News2Score | None:
    recent = {
        NEWS2_FIELDS[kind]: value
        for kind, value, time, _ in values
        if kind in NEWS2_FIELDS and now - time <= NEWS2_WINDOW
    }
    return score_readings(recent, spo2_scale) if recent else None


def _summary(
    position: TriagePosition,
    unit: str,
    spo2_scale: Spo2Scale,
    values: list[tuple[str, float, datetime, str]],
    judged: dict[str, Evaluation | None],
    news2: News2Score | None,
    last: datetime | None,
    colour: str | None,
) -> PatientSummary:
    latest = []
    for kind, value, time, value_unit in sorted(values):
        verdict = judged.get(kind)
        latest.append(
            LatestValue(
                kind=kind,
                value=value,
                unit=value_unit,
                time=time,
                colour=verdict.colour if verdict else None,
                reason=verdict.reason if verdict else None,
            )
        )
    return PatientSummary(
        patient_id=position.patient_id,
        unit=unit,
        position=position.position,
        urgency_reason=position.reason,
        colour=colour,
        news2=news2,
        spo2_scale=spo2_scale,
        last_measurement=last,
        latest=latest,
        answers=[],
    )
