"""The night sweep: an alert raised before a shift that is already planned, a re-plan that
failed, and an alert resolved before a nurse got there are all set right by the next look,
and a look comes every minute whether or not any alert is announced."""

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
from pydantic import TypeAdapter

from tilsyn.platform.alerts import store as alerts
from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.auth.store import User
from tilsyn.platform.config import Settings
from tilsyn.platform.planning import night_service
from tilsyn.platform.planning import night_store as store
from tilsyn.platform.planning.alert_tasks import changes_night_work, follow_alerts
from tilsyn.platform.planning.night_service import NightService
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient
from tilsyn.routing.plans import Plan

pytestmark = pytest.mark.integration
QUICK = Settings(night_plan_seconds=1.0, night_replan_seconds=0.5)
EAST = (56.1393, 9.02)
ANE, BO = User("ane", "", "night_nurse"), User("bo", "", "night_nurse")
PLANS = TypeAdapter(Plan)


@pytest.fixture
def pool(database_url: str) -> Iterator[ConnectionPool]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Herning Vest"))
        give_home(conn, "P1", "Birkevej 4, 7400 Herning", EAST)
    with ConnectionPool(database_url, min_size=1, max_size=4) as opened:
        yield opened


def shift_from(pool: ConnectionPool, starts: datetime, *nurses: str) -> int:
    with pool.connection() as conn:
        shift_id = store.create_shift(
            conn, "night", starts, starts + timedelta(hours=9), [nurse(n) for n in nurses]
        )
        store.add_task(conn, shift_id, task("T1", "Birk", 120, "Insulin", EAST))
    return shift_id


def critical_alert(pool: ConnectionPool, at: datetime) -> int:
    with pool.connection() as conn:
        row = conn.execute(
            "INSERT INTO alerts (entity_type, entity_id, rule, severity, state, audience, title,"
            " first_at, last_at) VALUES ('patient', 'P1', 'spo2_low', 'critical', 'open',"
            " 'home_care', 'SpO2 82 %%', %s, %s) RETURNING alert_id",
            (at, at),
        ).fetchone()
    assert row is not None
    return int(row[0])


def urgent_task_tonight(pool: ConnectionPool, now: datetime) -> tuple[int, NightService, int]:
    """A shift of Ane and Bo, begun an hour ago and planned, and a critical alert that the
    sweep has made its urgent task: (shift, service, alert)."""
    shift_id = shift_from(pool, now - timedelta(hours=1), "ane", "bo")
    service = NightService(pool, QUICK)
    service.view(ANE, now)
    alert_id = critical_alert(pool, now)
    assert service.absorb_alerts(now) == 1
    return shift_id, service, alert_id


def card(service: NightService, user: User, task_id: str, at: datetime) -> dict[str, Any]:
    cards = [c for c in service.view(user, at)["tasks"] if c["task_id"] == task_id]
    assert cards, f"{user.username} does not see {task_id}"
    return cards[0]


def test_an_alert_raised_just_before_a_planned_shift_goes_to_that_shift(
    pool: ConnectionPool,
) -> None:
    """The nurse opened her phone early, so the shift has a plan; an alert raised after that,
    before the shift starts, is its work from its start all the same."""
    now = datetime.now(UTC)
    starts = now + timedelta(minutes=20)
    shift_id = shift_from(pool, starts, "ane")
    service = NightService(pool, QUICK)
    service.view(ANE, now)  # the first plan, 20 minutes before the shift
    alert_id = critical_alert(pool, now)
    assert service.absorb_alerts(now) == 1
    urgent = card(service, ANE, f"alert-{alert_id}", now)
    assert urgent["urgent"] and urgent["planned"] and urgent["eta"] is not None
    assert datetime.fromisoformat(urgent["window_start"]) == starts, "due from the shift's start"
    with pool.connection() as conn:
        assert store.latest_plan(conn, shift_id) is not None


def test_the_night_is_swept_every_minute_without_any_notification() -> None:
    async def follow_for_a_while() -> list[datetime]:
        looks: list[datetime] = []
        following = asyncio.create_task(
            follow_alerts(NotificationHub(), lambda now: looks.append(now) or 0, every=0.05)
        )
        await asyncio.sleep(0.3)
        following.cancel()
        return looks

    assert len(run(follow_for_a_while)) >= 3


def test_a_resolved_patient_alert_is_announced_to_the_sweep_and_the_sweep_waits() -> None:
    """A resolved alert may call a nurse off: it triggers a look at once (and the periodic
    look then waits its full time again)."""

    async def announce_resolved() -> int:
        hub, looks = NotificationHub(), []
        following = asyncio.create_task(
            follow_alerts(hub, lambda now: looks.append(now) or 0, every=3600)
        )
        await asyncio.sleep(0.05)
        payload = {"event": "resolved", "alert": {"entity_type": "patient", "severity": "info"}}
        hub.announce([Notification(1, "home_care", payload)])
        await asyncio.sleep(0.2)
        following.cancel()
        return len(looks)

    assert run(announce_resolved) == 1


@pytest.mark.parametrize(
    ("event", "entity", "severity", "matters"),
    [
        ("raised", "patient", "critical", True),
        ("escalated", "patient", "critical", True),
        ("resolved", "patient", "warning", True),
        ("raised", "patient", "warning", False),
        ("acknowledged", "patient", "critical", False),
        ("resolved", "container", "critical", False),
    ],
)
def test_which_alert_changes_call_for_a_look(
    event: str, entity: str, severity: str, matters: bool
) -> None:
    payload = {"event": event, "alert": {"entity_type": entity, "severity": severity}}
    assert changes_night_work(payload) is matters


def test_a_failed_replan_says_so_on_the_task_and_the_sweep_retries_it(
    pool: ConnectionPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    shift_from(pool, now - timedelta(hours=1), "ane", "bo")
    service = NightService(pool, QUICK)
    service.view(ANE, now)
    alert_id = critical_alert(pool, now)
    real = night_service.check_night_plan
    monkeypatch.setattr(night_service, "check_night_plan", lambda *a, **k: ["forced once"])
    assert service.absorb_alerts(now) == 0, "the task is stored, its plan refused"
    for who in (ANE, BO):
        waiting = card(service, who, f"alert-{alert_id}", now)
        assert not waiting["planned"]
        assert waiting["unplanned_reason"] == "planning failed: forced once; retrying"
    monkeypatch.setattr(night_service, "check_night_plan", real)
    service.absorb_alerts(now + timedelta(minutes=1))  # the next sweep, no new alert
    holder = next(
        u for u in (ANE, BO) if card(service, u, f"alert-{alert_id}", now)["planned"] is True
    )
    planned = card(service, holder, f"alert-{alert_id}", now)
    assert planned["eta"] is not None and planned["unplanned_reason"] is None


def test_a_sweep_with_nothing_to_do_leaves_the_plan_alone(pool: ConnectionPool) -> None:
    now = datetime.now(UTC)
    shift_id = shift_from(pool, now - timedelta(hours=1), "ane")
    service = NightService(pool, QUICK)
    before = service.view(ANE, now)
    assert service.absorb_alerts(now) == 0
    with pool.connection() as conn:
        assert store.get_shift(conn, shift_id).revision == before["revision"]


def test_resolving_the_alert_cancels_its_task_and_the_shift_is_replanned(
    pool: ConnectionPool,
) -> None:
    now = datetime.now(UTC)
    shift_id, service, alert_id = urgent_task_tonight(pool, now)
    task_id = f"alert-{alert_id}"
    with pool.connection() as conn:
        holder = {t.task_id: t for t in store.shift_tasks(conn, shift_id)}[task_id].nurse
        alerts.resolve(conn, alert_id, "karen", now, "phoned her: the probe had slipped")
    assert holder is not None
    other = BO if holder == "ane" else ANE
    service.absorb_alerts(now + timedelta(minutes=1))
    cancelled = card(service, User(holder, "", "night_nurse"), task_id, now)
    assert cancelled["state"] == "cancelled" and not cancelled["planned"]
    assert cancelled["eta"] is None and "alert resolved by karen" in cancelled["reason"]
    assert task_id not in {c["task_id"] for c in service.view(other, now)["tasks"]}
    with pool.connection() as conn:
        latest = store.latest_plan(conn, shift_id)
    assert latest is not None and task_id not in PLANS.validate_python(latest[1]).served_ids()
    assert service.absorb_alerts(now + timedelta(minutes=2)) == 0, "resolved: nobody sent again"


def test_an_alert_the_rules_cleared_keeps_its_visit(pool: ConnectionPool) -> None:
    """One reading back in range clears the alert by rule: a nurse still goes to see."""
    now = datetime.now(UTC)
    shift_id, service, alert_id = urgent_task_tonight(pool, now)
    with pool.connection() as conn:
        conn.execute(
            "UPDATE alerts SET state = 'resolved', resolved_at = %s, resolved_by = 'rule'"
            " WHERE alert_id = %s",
            (now, alert_id),
        )
    service.absorb_alerts(now + timedelta(minutes=1))
    with pool.connection() as conn:
        task = {t.task_id: t for t in store.shift_tasks(conn, shift_id)}[f"alert-{alert_id}"]
    assert task.state == "planned" and task.nurse is not None


def test_a_first_plan_not_found_in_the_budget_is_not_kept_and_is_tried_again(
    pool: ConnectionPool,
) -> None:
    """400 tasks and OR-Tools' shortest budget: no first solution (it takes ~0.3 s). The empty
    plan used to be stored as the night's, and nothing planned the shift again."""
    now = datetime.now(UTC)
    shift_id = shift_from(pool, now - timedelta(minutes=10), "ane", "bo")
    with pool.connection() as conn:
        for n in range(400):
            where = (56.10 + 0.0004 * n, 8.95 + 0.003 * (n % 13))
            store.add_task(conn, shift_id, task(f"T{n + 2:03d}", f"P{n}", 20 + n, "x", where))
    hurried = NightService(pool, Settings(night_plan_seconds=1e-9, night_replan_seconds=0.5))
    with pytest.raises(night_service.NoPlanFound, match="no plan found within the search budget"):
        hurried.view(ANE, now)
    with pool.connection() as conn:
        assert store.latest_plan(conn, shift_id) is None
        waiting = [t.unplanned_reason for t in store.shift_tasks(conn, shift_id)]
    assert all(reason and reason.startswith("planning failed: ") for reason in waiting)
    NightService(pool, QUICK).absorb_alerts(now + timedelta(minutes=1))  # the sweep
    with pool.connection() as conn:
        assert store.latest_plan(conn, shift_id) is not None


@pytest.mark.parametrize("steps", range(6))
def test_the_sweep_ends_when_cancelled_as_an_alert_arrives(steps: int) -> None:
    """Cancelled in the loop steps in which the hub hands an alert over, it still ends: the
    server's stop awaits it (with asyncio.wait_for, Python 3.11 lost that cancellation)."""

    async def cancel_as_an_alert_arrives() -> bool:
        hub = NotificationHub()
        following = asyncio.create_task(follow_alerts(hub, lambda now: 0, every=3600))
        await asyncio.sleep(0.05)
        payload = {"event": "acknowledged", "alert": {"entity_type": "patient"}}
        hub.announce([Notification(1, "home_care", payload)])
        for _ in range(steps):
            await asyncio.sleep(0)
        following.cancel()
        done, _ = await asyncio.wait([following], timeout=1.0)
        following.cancel()  # a swallowed cancellation: cancel again so the loop can end
        return bool(done)

    assert run(cancel_as_an_alert_arrives)
