"""A home hub with a wrong clock: its times are moved onto the platform's, and counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from direct_ingest import store

from tilsyn.codecs.fhir import build_observation
from tilsyn.platform.ingest.hub_clock import HubClock
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_hub_clock_within_ten_minutes_is_trusted() -> None:
    clock = HubClock.measured(NOW + timedelta(minutes=9), NOW)
    assert clock.correct(NOW - timedelta(days=2)) == NOW - timedelta(days=2)
    assert clock.corrections == 0


def test_a_hub_clock_ahead_shifts_every_time_by_the_same_amount() -> None:
    clock = HubClock.measured(NOW + timedelta(hours=2), NOW)
    # Measured two days ago on the hub's (fast) clock, sent now.
    assert clock.correct(NOW + timedelta(hours=2) - timedelta(days=2)) == NOW - timedelta(days=2)
    assert clock.corrections == 1


def test_a_meter_stamping_the_future_is_stored_at_the_sending_time() -> None:
    clock = HubClock.measured(NOW, NOW)
    assert clock.correct(NOW + timedelta(days=365)) == NOW
    assert clock.correct(NOW + timedelta(minutes=5)) == NOW + timedelta(minutes=5)
    assert clock.corrections == 1


def test_a_hub_clock_behind_is_trusted_as_history() -> None:
    clock = HubClock.measured(NOW - timedelta(days=2), NOW)
    assert clock.correct(NOW - timedelta(days=2, hours=1)) == NOW - timedelta(days=2, hours=1)
    assert clock.corrections == 0


def test_a_hub_a_year_ahead_is_stored_on_the_platform_clock(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P-1", unit="Våler"))
        register_hub(conn, HubIn(hub_id="hub-1", unit="Våler", patient_ids=["P-1"]))
    hub_now = datetime.now(UTC) + timedelta(days=365)  # its clock set to the wrong year
    reading = build_observation(
        "P-1", "heart_rate", 72, hub_now - timedelta(hours=1), observation_id="o-1"
    )
    body = {"messageId": "m-1", "hubId": "hub-1", "sentAt": hub_now.isoformat()}
    result = store(
        database_url, ("tilsyn/edge/hub-1/up", json.dumps(body | {"entries": [reading]}).encode())
    )
    assert result.stored == 1
    assert sum(stored.clock_corrections for stored in result.fresh) == 1
    with psycopg.connect(database_url) as conn:
        (stored_at,) = conn.execute("SELECT time FROM vital_observations").fetchone() or (None,)
    assert stored_at is not None
    expected = datetime.now(UTC) - timedelta(hours=1)
    assert abs(stored_at - expected) < timedelta(minutes=1)
