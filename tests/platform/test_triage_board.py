"""The triage board from stored data: a patient who stopped measuring, a NEWS2 emergency
without personal thresholds and a missed task are all brought forward past green patients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb
from registry_seed import COPD_COLOURS

from tilsyn.platform.alerts import periodic
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.patients.questionnaires import save_colours
from tilsyn.platform.patients.state import triage_board
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)


def _measure(conn: psycopg.Connection, patient: str, kind: str, value: float, ago: timedelta):
    conn.execute(
        "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
        " VALUES (%s, %s, %s, %s, 'x', 'h')",
        (NOW - ago, patient, kind, value),
    )


def test_the_board_brings_forward_who_a_nurse_must_see_though_not_red(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for patient in ("A-GREEN", "B-STOPPED", "C-NEWS2-HIGH", "D-MISSED"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
            conn.execute(
                "INSERT INTO patient_thresholds VALUES (%s, 'spo2', 94, NULL, 90, NULL)",
                (patient,),
            )
        conn.execute("DELETE FROM patient_thresholds WHERE patient_id = 'C-NEWS2-HIGH'")
        _measure(conn, "A-GREEN", "spo2", 97, timedelta(hours=1))
        _measure(conn, "B-STOPPED", "spo2", 85, timedelta(days=15))  # red, then silence
        for kind, value in (("spo2", 86), ("heart_rate", 135), ("body_temperature", 39.5)):
            _measure(conn, "C-NEWS2-HIGH", kind, value, timedelta(minutes=5))
        _measure(conn, "D-MISSED", "spo2", 97, timedelta(hours=27))
        conn.execute(
            "INSERT INTO patient_schedules (patient_id, kind, times) VALUES ('D-MISSED', 'spo2',"
            " '{08:00}')"
        )
        apply_signals(conn, periodic.missed_tasks(conn, NOW))
        board = triage_board(conn, NOW)
    by_id = {p.patient_id: p for p in board}
    assert [p.patient_id for p in board] == ["C-NEWS2-HIGH", "D-MISSED", "B-STOPPED", "A-GREEN"]
    assert by_id["C-NEWS2-HIGH"].news2 is not None and by_id["C-NEWS2-HIGH"].news2.band == "high"
    stopped = by_id["B-STOPPED"]
    assert stopped.last_measurement == NOW - timedelta(days=15)
    assert stopped.latest == [], "values older than two weeks are not judged as today's"
    assert stopped.urgency_reason.endswith("nothing measured for 15 d 0 h")
    assert "missed: SpO2 due Fri 2026-11-20 08:00 not measured by 11:00" in (
        by_id["D-MISSED"].urgency_reason
    )


def test_a_threshold_saved_before_red_limits_were_required_still_judges(
    database_url: str,
) -> None:
    """Only "green from 94" on the lower side, as the form once allowed: the board loads and
    such a value stays yellow, as it was when the nurse set it."""
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="OLD", unit="Våler"))
        conn.execute("INSERT INTO patient_thresholds VALUES ('OLD', 'spo2', 94, NULL, NULL, NULL)")
        _measure(conn, "OLD", "spo2", 85, timedelta(hours=1))
        (summary,) = triage_board(conn, NOW)
    assert summary.colour == "yellow"


def _answer(conn: psycopg.Connection, patient: str, ago: timedelta, **answers: object) -> None:
    conn.execute(
        "INSERT INTO questionnaire_answers (time, patient_id, questionnaire, answers,"
        " response_id, hub_id) VALUES (%s, %s, 'copd-daily', %s, %s, 'h')",
        (NOW - ago, patient, Jsonb(answers), f"{patient}-{ago}"),
    )


def test_a_worrying_answer_brings_a_patient_with_green_values_forward(database_url: str) -> None:
    """Green SpO2 for all three; the latest COPD answers are yellow for one, red for another
    (an earlier red set of the yellow one's no longer counts), and the board says why."""
    with psycopg.connect(database_url) as conn:
        save_colours(conn, COPD_COLOURS, "nurse", replace=True)
        for patient in ("A-WELL", "B-WORSE", "C-MUCH-WORSE"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
            conn.execute(
                "INSERT INTO patient_thresholds VALUES (%s, 'spo2', 94, NULL, 90, NULL)",
                (patient,),
            )
            _measure(conn, patient, "spo2", 97, timedelta(hours=1))
        _answer(conn, "A-WELL", timedelta(hours=2), breathlessness="same")
        _answer(conn, "B-WORSE", timedelta(days=2), breathlessness="much_worse")
        _answer(conn, "B-WORSE", timedelta(hours=2), breathlessness="worse")
        _answer(conn, "C-MUCH-WORSE", timedelta(hours=3), breathlessness="much_worse")
        board = triage_board(conn, NOW)
    assert [p.patient_id for p in board] == ["C-MUCH-WORSE", "B-WORSE", "A-WELL"]
    by_id = {p.patient_id: p for p in board}
    assert [p.colour for p in board] == ["red", "yellow", "green"]
    assert by_id["B-WORSE"].urgency_reason.startswith(
        "green (worst latest value); answers yellow — breathlessness: worse (yellow); NEWS2"
    )
    (answers,) = by_id["C-MUCH-WORSE"].answers
    assert (answers.questionnaire, answers.colour, answers.time) == (
        "copd-daily",
        "red",
        NOW - timedelta(hours=3),
    )
    assert by_id["A-WELL"].answers[0].reason == "every answer green"
    assert by_id["A-WELL"].urgency_reason.startswith("green (worst latest value); answers green;")
