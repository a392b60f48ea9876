"""A home hub with a wrong clock: its times are moved onto the platform's, and counted. A fast
clock shows in `sentAt`; a slow one only the hub can see, from its receipts (edge side:
tests/edge/test_receipts.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

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


def test_a_hub_that_knows_its_clock_runs_behind_is_moved_forward_by_that() -> None:
    behind = timedelta(hours=3)
    # Sent a minute ago by a clock three hours behind; measured an hour before that.
    clock = HubClock.measured(NOW - behind - timedelta(minutes=1), NOW, behind)
    assert clock.correct(NOW - behind - timedelta(hours=1)) == NOW - timedelta(hours=1)
    assert clock.corrections == 1
    small = HubClock.measured(NOW - timedelta(minutes=5), NOW, timedelta(minutes=5))
    assert small.correct(NOW - timedelta(hours=1)) == NOW - timedelta(hours=1), "within tolerance"


def test_a_hub_saying_its_clock_runs_far_behind_never_lands_readings_in_the_future() -> None:
    clock = HubClock.measured(NOW, NOW, timedelta(days=30))
    assert clock.correct(NOW - timedelta(hours=1)) == NOW
    assert clock.correct(NOW - timedelta(days=31)) == NOW - timedelta(days=1)


def _send(database_url: str, sent_at: datetime, taken_at: datetime, **extra: object) -> Any:
    """One heart rate from a registered hub, stamped by its clock, stored in one batch."""
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P-1", unit="Våler"))
        register_hub(conn, HubIn(hub_id="hub-1", unit="Våler", patient_ids=["P-1"]))
    reading = build_observation("P-1", "heart_rate", 72, taken_at, observation_id="o-1")
    body = {"messageId": "m-1", "hubId": "hub-1", "sentAt": sent_at.isoformat()}
    body |= extra | {"entries": [reading]}
    return store(database_url, ("tilsyn/edge/hub-1/up", json.dumps(body).encode()))


@pytest.mark.parametrize(
    ("hub_ahead", "says_behind"),
    [(timedelta(days=365), None), (-timedelta(hours=1), 3600.0)],
    ids=["a-year-ahead", "an-hour-behind-as-its-receipts-told-it"],
)
def test_a_hub_clock_off_is_stored_on_the_platform_clock(
    database_url: str, hub_ahead: timedelta, says_behind: float | None
) -> None:
    hub_now = datetime.now(UTC) + hub_ahead
    extra = {} if says_behind is None else {"clockBehindS": says_behind}
    result = _send(database_url, hub_now, hub_now - timedelta(minutes=30), **extra)
    assert result.stored == 1
    assert sum(stored.clock_corrections for stored in result.fresh) == 1
    with psycopg.connect(database_url) as conn:
        (stored_at,) = conn.execute("SELECT time FROM vital_observations").fetchone() or (None,)
    assert stored_at is not None
    expected = datetime.now(UTC) - timedelta(minutes=30)
    assert abs(stored_at - expected) < timedelta(minutes=1)


@pytest.mark.parametrize("behind", [-1, "an hour", 11 * 366 * 86_400])
def test_a_clock_behind_that_is_no_number_of_seconds_is_dead_lettered(
    database_url: str, behind: object
) -> None:
    result = _send(database_url, NOW, NOW, clockBehindS=behind)
    assert result.stored == 0 and result.dead_letters == 1
