"""Urgent night tasks: a real alert from a real reading, through the alert engine, re-plans the
shift from where the nurses are and reaches an open stream; a visit request due tonight does
the same."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import psycopg
import pytest
from fix_server import LiveServer
from night_seed import give_home, nurse, seed_shift, task
from pydantic import TypeAdapter
from sse import plan_events

from tilsyn.platform.alerts.engine import AlertEngine
from tilsyn.platform.alerts.hub import NotificationHub
from tilsyn.platform.api.app import create_app
from tilsyn.platform.auth.store import User, create_user, start_session
from tilsyn.platform.config import Settings
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import VITAL_OBSERVATIONS
from tilsyn.platform.planning import night_store as store
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient
from tilsyn.routing.plans import Plan

pytestmark = pytest.mark.integration
QUICK = Settings(night_plan_seconds=1.0, night_replan_seconds=0.5)
EAST, WEST, HOME = (56.1393, 9.02), (56.1393, 8.93), (56.15, 8.99)


@dataclass
class Night:
    url: str
    database_url: str
    engine: AlertEngine
    shift_id: int


def headers(database_url: str, username: str, role: str) -> dict[str, str]:
    with psycopg.connect(database_url) as conn:
        create_user(conn, username, role, "not used in this test")  # type: ignore[arg-type]
        token = start_session(conn, User(username, "", role))  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def night(database_url: str) -> Iterator[Night]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Herning Vest"))
        give_home(conn, "P1", "Hammerum Hovedgade 3, 7400 Herning", HOME)
        conn.execute(
            "INSERT INTO patient_thresholds (patient_id, kind, green_low, green_high, yellow_low,"
            " yellow_high) VALUES ('P1', 'heart_rate', 50, 100, 40, 120)"
        )
        shift_id = seed_shift(
            conn,
            [nurse("ane"), nurse("bo")],
            [
                task("T1", "Birk", 0, "Insulin", EAST, window=60),
                task("T2", "Gullestrup", 60, "Wound dressing", WEST),
                task("T3", "Lind", 90, "Turning", EAST),
                task("T4", "Sunds", 180, "Catheter", WEST),
            ],
        )
    hub = NotificationHub()
    engine = AlertEngine(database_url, hub, periodic_seconds=3600)
    engine.start()
    with LiveServer(create_app(database_url, hub=hub, settings=QUICK)) as server:
        yield Night(server.url, database_url, engine, shift_id)
    engine.stop()


def red_pulse(database_url: str, engine: AlertEngine) -> None:
    """A pulse of 131/min for P1, stored and handed to the alert engine as ingest does."""
    row = (datetime.now(UTC), "P1", "heart_rate", 131.0, "/min", None, None, "hub-1")
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit,"
            " observation_id, device_id, hub_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            row,
        )
    engine.observe([Accepted(f"v{time.time_ns()}", ((VITAL_OBSERVATIONS, (row,)),))], time.time())


def watch(url: str, nurse: dict[str, str], seen: queue.Queue[dict[str, object]]) -> None:
    """Put the first two plans the nurse's stream sends on `seen`: the plan as it is, and the
    next one (every nurse of the shift hears of each change)."""
    with (
        httpx.Client(base_url=url, timeout=30) as client,
        client.stream("GET", "/api/night/stream", headers=nurse) as response,
    ):
        for count, (_, shown) in enumerate(plan_events(response), start=1):
            seen.put(shown)
            if count == 2:
                return


def test_an_alert_during_the_shift_reaches_the_stream_as_an_urgent_task(night: Night) -> None:
    ane = headers(night.database_url, "ane", "night_nurse")
    bo = headers(night.database_url, "bo", "night_nurse")
    with httpx.Client(base_url=night.url, timeout=10) as client:
        route_of_ane = {
            t["task_id"] for t in client.get("/api/night/plan", headers=ane).json()["tasks"]
        }
        route_of_bo = {
            t["task_id"] for t in client.get("/api/night/plan", headers=bo).json()["tasks"]
        }
        started = sorted(route_of_ane)[0]
        client.post(f"/api/night/tasks/{started}/start", headers=ane).raise_for_status()
    seen: queue.Queue[dict[str, object]] = queue.Queue()
    phones = [threading.Thread(target=watch, args=(night.url, who, seen)) for who in (ane, bo)]
    for phone in phones:
        phone.start()
    for _ in phones:
        seen.get(timeout=10)  # each stream's current plan
    raised = time.perf_counter()
    red_pulse(night.database_url, night.engine)
    after = [seen.get(timeout=5) for _ in phones]
    arrived = time.perf_counter() - raised
    for phone in phones:
        phone.join(timeout=5)
    (shown,) = [p for p in after if any(card["urgent"] for card in p["tasks"])]  # type: ignore[attr-defined]
    print(f"alert to urgent task on the stream {arrived * 1000:.0f} ms")
    with psycopg.connect(night.database_url) as conn:
        (alert_id, title), *_ = conn.execute(
            "SELECT alert_id, title FROM alerts WHERE entity_id = 'P1' AND severity = 'critical'"
        ).fetchall()
        tasks = {t.task_id: t for t in store.shift_tasks(conn, night.shift_id)}
        latest = store.latest_plan(conn, night.shift_id)
    urgent_task = tasks[f"alert-{alert_id}"]
    assert urgent_task.urgent and urgent_task.patient_id == "P1" and title in urgent_task.reason
    assert urgent_task.nurse in ("ane", "bo") and urgent_task.eta is not None
    assert urgent_task.eta <= urgent_task.window_end
    # Re-planned from the live state: the started task is off the routes, ane leaves from it,
    # and every other promise is still on a route.
    assert latest is not None and latest[0] == 2
    plan = TypeAdapter(Plan).validate_python(latest[1])
    assert started not in plan.served_ids()
    assert plan.route_of("ane").start_location_id == f"task:{started}"
    assert (route_of_ane | route_of_bo) - {started} <= set(plan.served_ids())
    assert shown["nurse"] == urgent_task.nurse, "on the stream of the nurse who has it"
    assert arrived < 5.0, "the urgent task reaches the nurse's phone within seconds"


def test_the_stream_replays_only_when_the_plan_moved_on(night: Night) -> None:
    ane = headers(night.database_url, "ane", "night_nurse")
    with httpx.Client(base_url=night.url, timeout=10) as client:
        shown = client.get("/api/night/plan", headers=ane).json()
        revision, hers = shown["revision"], shown["tasks"][0]["task_id"]
        assert client.post(f"/api/night/tasks/{hers}/acknowledge", headers=ane).is_success
        resume = {**ane, "Last-Event-ID": f"{night.shift_id}:{revision}"}
        with client.stream("GET", "/api/night/stream", headers=resume) as response:
            event_id, shown = next(plan_events(response))
    assert event_id == f"{night.shift_id}:{revision + 1}"
    assert shown["revision"] == revision + 1


def test_a_visit_due_tonight_becomes_an_urgent_task_on_a_route(night: Night) -> None:
    carer = headers(night.database_url, "karen", "home_care_nurse")
    with httpx.Client(base_url=night.url, timeout=10) as client:
        answer = client.post(
            "/api/patients/P1/visits",
            json={"reason": "red pulse, check on her", "within_hours": 3},
            headers=carer,
        )
        assert answer.status_code == 201, answer.text
        visit = answer.json()
        both = [
            client.get("/api/night/plan", headers=headers(night.database_url, n, "night_nurse"))
            for n in ("ane", "bo")
        ]
    assert visit["task_id"] == f"visit-{visit['visit_id']}" and visit["state"] == "requested"
    cards = [t for shown in both for t in shown.json()["tasks"] if t["task_id"] == visit["task_id"]]
    assert len(cards) == 1, "on exactly one nurse's route"
    assert cards[0]["urgent"] and cards[0]["planned"] and cards[0]["eta"] <= visit["due_by"]
    assert cards[0]["address"] == "Hammerum Hovedgade 3, 7400 Herning"
