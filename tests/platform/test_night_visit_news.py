"""A patient alert hears how the night shift answers it: when its task gets a nurse, or when no
nurse can come and why, the alert's history says so and its audience's streams are told, so
home care need not reload to learn that nobody is coming. A re-plan that changes neither is
not news."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from night_seed import give_home, nurse, task
from own_loop import run
from psycopg_pool import ConnectionPool

from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.auth.store import User
from tilsyn.platform.config import Settings
from tilsyn.platform.planning import night_store as store
from tilsyn.platform.planning.night_service import NightService
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration
QUICK = Settings(night_plan_seconds=1.0, night_replan_seconds=0.5)
NEAR, SKAGEN = (56.1393, 9.02), (57.7209, 10.5839)  # Skagen: hours away from Herning
ANE = User("ane", "", "night_nurse")


@pytest.fixture
def pool(database_url: str) -> Iterator[ConnectionPool]:
    with psycopg.connect(database_url) as conn:
        for patient_id, home in (("P1", NEAR), ("P2", SKAGEN)):
            register_patient(conn, PatientIn(patient_id=patient_id, unit="Herning Vest"))
            give_home(conn, patient_id, f"{patient_id}vej 1", home)
    with ConnectionPool(database_url, min_size=1, max_size=4) as opened:
        yield opened


def critical_alert(pool: ConnectionPool, patient_id: str, at: datetime) -> int:
    with pool.connection() as conn:
        row = conn.execute(
            "INSERT INTO alerts (entity_type, entity_id, rule, severity, state, audience, title,"
            " first_at, last_at) VALUES ('patient', %s, 'spo2_low', 'critical', 'open',"
            " 'home_care', 'SpO2 82 %%', %s, %s) RETURNING alert_id",
            (patient_id, at, at),
        ).fetchone()
    assert row is not None
    return int(row[0])


def night_visits(pool: ConnectionPool, alert_id: int) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT detail FROM alert_history WHERE alert_id = %s AND event = 'night_visit'"
            " ORDER BY id",
            (alert_id,),
        ).fetchall()
    return [row[0] for row in rows]


def test_an_alert_hears_whether_a_night_nurse_is_coming(pool: ConnectionPool) -> None:
    now = datetime.now(UTC)
    with pool.connection() as conn:
        shift_id = store.create_shift(
            conn, "night", now - timedelta(hours=1), now + timedelta(hours=8), [nurse("ane")]
        )
        store.add_task(conn, shift_id, task("T1", "Birk", 120, "Insulin", NEAR))
    hub = NotificationHub()
    service = NightService(pool, QUICK, hub=hub)
    service.view(ANE, now)
    reachable, too_far = critical_alert(pool, "P1", now), critical_alert(pool, "P2", now)

    async def sweep_and_listen() -> list[Notification]:
        heard = hub.subscribe(["home_care"])
        await asyncio.to_thread(service.absorb_alerts, now)
        told = []
        while not heard.empty():
            item = await heard.get()
            assert item is not None
            told.append(item)
        return told

    told = run(sweep_and_listen)

    coming, not_coming = night_visits(pool, reachable), night_visits(pool, too_far)
    assert len(coming) == 1 and coming[0]["planned"] is True and coming[0]["eta"], coming
    assert len(not_coming) == 1 and not_coming[0]["planned"] is False, not_coming
    assert str(not_coming[0]["unplanned_reason"]).startswith("window closes at")
    announced = {
        n.payload["alert"]["alert_id"] for n in told if n.payload["event"] == "night_visit"
    }
    assert announced == {reachable, too_far}

    service.act(ANE, "T1", "start", now + timedelta(minutes=1), now + timedelta(minutes=1))
    service.act(ANE, "T1", "done", now + timedelta(minutes=2), now + timedelta(minutes=2))
    assert len(night_visits(pool, reachable)) == 1, "a re-plan that keeps the answer is not news"
    assert len(night_visits(pool, too_far)) == 1
