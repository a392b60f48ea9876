"""Rules the clock decides: silence, a ward below its compliance target, missed measurements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tilsyn.platform.alerts import periodic
from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.store import apply_signals, resolve
from tilsyn.platform.db.migrate import MIGRATIONS_DIR
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
    assert signals["M1/2026-11-20"].title.endswith("(so far, at 12:00)")
    assert not signals["M2/2026-11-20"].active
    assert not signals["M3/2026-11-20"].active


def _compliance_alerts(conn: psycopg.Connection) -> list[tuple[str, str, str | None]]:
    return [
        (r[0], r[1], r[2])
        for r in conn.execute(
            "SELECT entity_id, state, resolved_by FROM alerts"
            " WHERE rule = 'compliance_below_target' ORDER BY alert_id"
        )
    ]


def test_a_day_below_target_stays_an_alert_after_midnight_until_someone_resolves_it(
    database_url: str,
) -> None:
    """The alert was per ward: at midnight a day just begun (too few to judge) cleared
    yesterday's 62 % before anyone at infection control had seen it. And a finished day's
    alert, once resolved by a person, must not be raised again for that day."""
    after_midnight = NOON + timedelta(hours=12, minutes=30)  # 00:30 the next day in Oslo
    with psycopg.connect(database_url) as conn:
        register_ward(conn, WardIn(ward_id="M1", name="M1", compliance_target=0.8))
        _counts(conn, "M1", 100, 62)
        apply_signals(conn, periodic.ward_compliance(conn, NOON))
        apply_signals(conn, periodic.ward_compliance(conn, after_midnight))
        assert _compliance_alerts(conn) == [("M1/2026-11-20", "open", None)]
        (alert_id,) = conn.execute("SELECT alert_id FROM alerts").fetchone() or ()
        resolve(conn, alert_id, "ipc-nurse", after_midnight, "Talked to the ward lead")
        apply_signals(conn, periodic.ward_compliance(conn, after_midnight + timedelta(hours=1)))
        assert _compliance_alerts(conn) == [("M1/2026-11-20", "resolved", "ipc-nurse")]


def test_late_badge_events_that_lift_yesterday_clear_its_alert(database_url: str) -> None:
    after_midnight = NOON + timedelta(hours=12, minutes=30)
    with psycopg.connect(database_url) as conn:
        register_ward(conn, WardIn(ward_id="M1", name="M1", compliance_target=0.8))
        _counts(conn, "M1", 100, 62)
        apply_signals(conn, periodic.ward_compliance(conn, NOON))
        _counts(conn, "M1", 100, 100)  # 162 of 200: above the target after all
        apply_signals(conn, periodic.ward_compliance(conn, after_midnight))
        assert _compliance_alerts(conn) == [("M1/2026-11-20", "resolved", "rule")]


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
        signals = {s.entity_id: s for s in periodic.missed_tasks(conn, NOON)}
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
            (signal,) = periodic.missed_tasks(conn, now)
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


def test_a_per_ward_compliance_alert_left_open_by_an_upgrade_is_resolved(
    database_url: str,
) -> None:
    """Alerts of the per-ward form are neither raised nor cleared by the rule any more: left
    open, one would escalate every hour for good. Migration 0026 resolves them, saying why."""
    with psycopg.connect(database_url) as conn:
        register_ward(conn, WardIn(ward_id="M1", name="M1", compliance_target=0.8))
        old_form = Signal(
            "ward",
            "M1",
            "compliance_below_target",
            True,
            NOON,
            "warning",
            "infection_control",
            "M1",
            "M1 2026-11-20: 62 % below the target 80 %",
        )
        apply_signals(conn, [old_form])
        conn.execute(
            MIGRATIONS_DIR.joinpath("0026_resolve_per_ward_compliance_alerts.sql").read_text()
        )
        state, by = conn.execute("SELECT state, resolved_by FROM alerts").fetchone() or ()
        (note,) = (
            conn.execute(
                "SELECT detail->>'note' FROM alert_history WHERE event = 'resolved'"
            ).fetchone()
            or ()
        )
    assert (state, by) == ("resolved", "migration")
    assert "per ward and day" in note
