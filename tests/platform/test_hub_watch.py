"""Hubs that need attention: silent ones raise an alert for home care, and the hub list says
what to see to and whom the hub serves (audited as a read of those patients)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.platform.alerts import periodic
from tilsyn.platform.api.app import create_app
from tilsyn.platform.patients.hub_watch import HubState, problems, silent
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=30)


def test_a_hub_is_silent_after_two_hours_without_a_report() -> None:
    assert not silent(HubState(LONG_AGO, NOW - timedelta(minutes=119)), NOW)
    assert silent(HubState(LONG_AGO, NOW - timedelta(minutes=121)), NOW)
    assert not silent(HubState(NOW - timedelta(minutes=5)), NOW), "just registered"
    assert silent(HubState(NOW - timedelta(hours=3)), NOW), "never reported since registration"


def test_each_problem_is_said_in_words_and_a_healthy_hub_has_none() -> None:
    healthy = HubState(
        LONG_AGO,
        NOW - timedelta(minutes=1),
        queue_depth=3,
        oldest_queued_at=NOW - timedelta(minutes=2),  # on its way
        devices=[{"kind": "scale", "batteryPercent": 60}],
        clock_behind_s=0.0,
        config_pushed_version=7,
        config_pushed_at=NOW - timedelta(minutes=3),  # pushed, not reported yet
        config_applied_version=6,
    )
    assert problems(healthy, NOW) == []
    troubled = HubState(
        LONG_AGO,
        NOW - timedelta(hours=5),
        queue_depth=40,
        oldest_queued_at=NOW - timedelta(hours=6),
        devices=[
            {"kind": "oximeter", "batteryPercent": 15},
            {"deviceId": "bp-1", "batteryPercent": 80},
        ],
        clock_behind_s=1800.0,
        config_pushed_version=7,
        config_pushed_at=NOW - timedelta(hours=1),
        config_applied_version=6,
    )
    found = problems(troubled, NOW)
    assert found == [
        "no report since 2026-11-24 05:00 CET",
        "40 messages not delivered since 2026-11-24 04:00 CET",
        "oximeter battery 15 %",
        "clock 30 min behind",
        "runs settings version 6, not 7",
    ]
    too_big = HubState(
        LONG_AGO,
        NOW,
        config_pushed_version=7,
        config_pushed_at=LONG_AGO,
        config_applied_version=6,
        config_unsent="260000 bytes, more than ...",
    )
    assert problems(too_big, NOW) == ["settings not sent: 260000 bytes, more than ..."]


def _hubs(conn: psycopg.Connection) -> None:
    for patient in ("P-QUIET", "P-FINE"):
        register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
    register_hub(conn, HubIn(hub_id="H-QUIET", unit="Våler", patient_ids=["P-QUIET"]))
    register_hub(conn, HubIn(hub_id="H-FINE", unit="Våler", patient_ids=["P-FINE"]))
    conn.execute("UPDATE devices SET registered_at = %s", (LONG_AGO,))


def _health(conn: psycopg.Connection, hub_id: str, at: datetime, **fields: object) -> None:
    conn.execute(
        "INSERT INTO hub_health (time, hub_id, queue_depth, queue_bytes, oldest_queued_at,"
        " last_contact, dropped_total, dropped_by_reason, devices)"
        " VALUES (%s, %s, %s, 0, %s, %s, 0, '{}', %s)",
        (
            at,
            hub_id,
            fields.get("queue_depth", 0),
            fields.get("oldest_queued_at"),
            at,
            json.dumps(fields.get("devices", [])),
        ),
    )


@pytest.mark.integration
def test_a_silent_hub_raises_an_alert_for_home_care_without_naming_patients(
    database_url: str,
) -> None:
    with psycopg.connect(database_url) as conn:
        _hubs(conn)
        _health(conn, "H-QUIET", NOW - timedelta(hours=3))
        _health(conn, "H-FINE", NOW - timedelta(minutes=1))
        signals = {s.entity_id: s for s in periodic.silent_hubs(conn, NOW)}
    quiet, fine = signals["H-QUIET"], signals["H-FINE"]
    assert (quiet.active, quiet.audience, quiet.unit, quiet.entity_type) == (
        True,
        "home_care",
        "Våler",
        "hub",
    )
    assert "silent since 2026-11-24 07:00 CET" in quiet.title
    assert "P-QUIET" not in quiet.title + json.dumps(dict(quiet.detail))
    assert not fine.active


@pytest.fixture
def quiet_and_fine(database_url: str) -> str:
    """H-QUIET last reported three hours ago, H-FINE just now."""
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        _hubs(conn)
        _health(conn, "H-QUIET", now - timedelta(hours=3))
        _health(conn, "H-FINE", now, devices=[{"kind": "scale", "batteryPercent": 90}])
    return database_url


@pytest.mark.integration
def test_the_hub_list_says_what_to_see_to_and_whom_each_hub_serves(
    quiet_and_fine: str, sign_in: SignIn
) -> None:
    database_url = quiet_and_fine
    nurse = sign_in("home_care_nurse")
    with TestClient(create_app(database_url)) as client:
        shown = {h["hub_id"]: h for h in client.get("/api/hubs/health", headers=nurse).json()}
    assert shown["H-QUIET"]["patients"] == ["P-QUIET"]
    assert [p.split(" since")[0] for p in shown["H-QUIET"]["problems"]] == ["no report"]
    assert shown["H-FINE"]["problems"] == []
    with psycopg.connect(database_url) as conn:
        audited = conn.execute(
            "SELECT patient_id FROM audit_log WHERE action = 'hub_health' ORDER BY patient_id"
        ).fetchall()
    assert [a[0] for a in audited] == ["P-FINE", "P-QUIET"]


@pytest.mark.integration
def test_asking_for_the_hubs_needing_attention_reads_only_their_patients(
    quiet_and_fine: str, sign_in: SignIn
) -> None:
    database_url = quiet_and_fine
    with TestClient(create_app(database_url)) as client:
        answer = client.get(
            "/api/hubs/health?needs_attention=true", headers=sign_in("home_care_nurse")
        ).json()
    assert [h["hub_id"] for h in answer] == ["H-QUIET"]
    with psycopg.connect(database_url) as conn:
        audited = conn.execute("SELECT patient_id FROM audit_log WHERE action = 'hub_health'")
        assert [a[0] for a in audited] == ["P-QUIET"]
