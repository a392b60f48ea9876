"""Rules the clock decides: silence, a ward below its compliance target, missed measurements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tilsyn.platform.alerts import periodic
from tilsyn.platform.registry.models import PatientIn, WardIn
from tilsyn.platform.registry.store import register_patient, register_ward

pytestmark = pytest.mark.integration

NOON = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # 12:00 in Oslo


def _counts(
    conn: psycopg.Connection, ward: str, opportunities: int, met: int, at: datetime = NOON
) -> None:
    conn.execute(
        "INSERT INTO hygiene_compliance_counts (time, ward_id, zone_type, day, role,"
        " opportunities, met) VALUES (%s, %s, 'patient_zone', %s, 'nurse', %s, %s)",
        (at, ward, at.date(), opportunities, met),
    )


def test_a_ward_below_its_target_today_is_flagged(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for ward in ("M1", "M2", "M3"):
            register_ward(conn, WardIn(ward_id=ward, name=ward, compliance_target=0.8))
        _counts(conn, "M1", 100, 62)  # below
        _counts(conn, "M2", 100, 91)  # above
        _counts(conn, "M3", 5, 0)  # too few to judge
        signals = {s.entity_id: s for s in periodic.ward_compliance(conn, NOON)}
    assert signals["M1/2026-11-20"].active and "below" in signals["M1/2026-11-20"].title
    assert "today so far" in signals["M1/2026-11-20"].title
    assert not signals["M2/2026-11-20"].active
    assert not signals["M3/2026-11-20"].active


def test_a_day_below_target_is_not_cleared_by_the_next_one(database_url: str) -> None:
    """The alert was per ward: at midnight a day just begun (too few to judge) cleared
    yesterday's 62 % before anyone at infection control had seen it."""
    with psycopg.connect(database_url) as conn:
        register_ward(conn, WardIn(ward_id="M1", name="M1", compliance_target=0.8))
        _counts(conn, "M1", 100, 62)
        after_midnight = NOON + timedelta(hours=12, minutes=30)  # 00:30 the next day in Oslo
        signals = periodic.ward_compliance(conn, after_midnight)
        judged = {s.entity_id: s.active for s in signals}
        assert judged == {"M1/2026-11-20": True, "M1/2026-11-21": False}
        assert {s.key for s in signals if s.active} == {
            ("ward_day", "M1/2026-11-20", "compliance_below_target")
        }
        # Badge events of that day that came late lift it above the target: it clears.
        _counts(conn, "M1", 100, 100)
        (yesterday,) = [
            s for s in periodic.ward_compliance(conn, after_midnight) if "11-20" in s.entity_id
        ]
    assert not yesterday.active and "today" not in yesterday.title


def test_a_missed_morning_measurement_is_flagged_and_a_taken_one_is_not(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for patient in ("P1", "P2"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
            conn.execute(
                "INSERT INTO patient_schedules (patient_id, kind, times)"
                " VALUES (%s, 'body_weight', '{08:00}')",
                (patient,),
            )
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, 'P2', 'body_weight', 81.2, 'kg', 'h')",
            (NOON - timedelta(hours=4),),
        )
        signals = {s.entity_id: s for s in periodic.missed_measurements(conn, NOON)}
    assert signals["P1"].active and signals["P1"].rule == "missed:body_weight"
    assert not signals["P2"].active


def test_a_missed_measurement_stays_flagged_until_one_is_taken(database_url: str) -> None:
    """Daily weight at 08:00, never measured: the warning stayed up only until the clock took
    yesterday's slot out of its window (08:30 the next day), then came back as a new alert at
    11:00. It must stay up until the patient measures again."""
    oslo = ZoneInfo("Europe/Oslo")
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
        conn.execute(
            "INSERT INTO patient_schedules (patient_id, kind, times)"
            " VALUES ('P1', 'body_weight', '{08:00}')"
        )

        def active_at(day: int, hour: int, minute: int = 0) -> bool:
            now = datetime(2026, 3, day, hour, minute, tzinfo=oslo)
            (signal,) = periodic.missed_measurements(conn, now)
            return signal.active

        assert [active_at(9, 12), active_at(10, 8, 30), active_at(10, 11, 30)] == [True] * 3
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, 'P1', 'body_weight', 80.1, 'kg', 'h')",
            (datetime(2026, 3, 11, 7, 50, tzinfo=oslo),),
        )
        assert active_at(11, 7, 45), "not measured yet"
        assert not active_at(11, 8, 0), "measured again, if early for Wednesday's slot"
        assert not active_at(11, 11, 30), "and Wednesday's slot was met"
