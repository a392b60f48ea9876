"""The night nurse's plan over HTTP on a real database: planned on first request, checked by
the independent checker, task actions, roles, audit, and tasks no route can take."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn
from night_seed import HERNING, give_home, nurse, seed_shift, task
from pydantic import TypeAdapter

from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.api.app import create_app
from tilsyn.platform.auth.store import User, create_user, start_session
from tilsyn.platform.config import Settings
from tilsyn.platform.planning import night_service
from tilsyn.platform.planning import night_store as store
from tilsyn.platform.planning.alert_tasks import alert_tasks
from tilsyn.platform.planning.demo_night import ensure_demo_night
from tilsyn.platform.planning.night_problem import night_request, seconds_into
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient
from tilsyn.routing.checks import check_night_plan
from tilsyn.routing.plans import Plan
from tilsyn.routing.settings import RoutingSettings

pytestmark = pytest.mark.integration
QUICK = Settings(night_plan_seconds=1.0, night_replan_seconds=0.5)
EAST = (56.1393, 9.02)  # about 3 km east of the base
WEST = (56.1393, 8.93)


def nurse_headers(database_url: str, username: str) -> dict[str, str]:
    with psycopg.connect(database_url) as conn:
        create_user(conn, username, "night_nurse", "not used in this test")
        token = start_session(conn, User(username, "", "night_nurse"))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(database_url, settings=QUICK)) as test_client:
        yield test_client


@pytest.fixture
def shift(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Herning Vest"))
        give_home(conn, "P1", "Birkevej 4, 7400 Herning", EAST)
        return seed_shift(
            conn,
            [nurse("ane"), nurse("bo", "care_assistant")],
            [
                task("T1", "Birk", 20, "Insulin", EAST, patient_id="P1"),
                task("T2", "Gullestrup", 60, "Wound dressing", WEST),
                task("T3", "Lind", 120, "Turning", EAST, competence="care_assistant"),
                task("T4", "Hammerum", 150, "Catheter", WEST),
            ],
        )


def test_the_first_request_plans_the_shift_and_the_plan_keeps_every_rule(
    client: TestClient, database_url: str, shift: int
) -> None:
    now = datetime.now(UTC)
    client.app.state.night.ensure_plan(shift, now)  # type: ignore[attr-defined]
    with psycopg.connect(database_url) as conn:
        found = store.get_shift(conn, shift)
        request = night_request(
            found,
            store.shift_nurses(conn, shift),
            store.shift_tasks(conn, shift),
            seconds_into(found, now),
            QUICK.planning_timezone,
        )
        latest = store.latest_plan(conn, shift)
    assert latest is not None and latest[0] == 1
    plan = TypeAdapter(Plan).validate_python(latest[1])
    travel = RoutingSettings().travel()
    places = [*(n.base for n in request.nurses), *(t.location for t in request.tasks)]
    assert check_night_plan(request, plan, travel.matrix(places)) == []
    assert sorted(plan.served_ids()) == ["T1", "T2", "T3", "T4"]
    # The registered-nurse tasks cannot go to the care assistant.
    assert {"T1", "T2", "T4"} <= set(plan.route_of("ane").ids())

    shown = client.get("/api/night/plan", headers=nurse_headers(database_url, "ane")).json()
    mine = [t["task_id"] for t in shown["tasks"]]
    assert mine == plan.route_of("ane").ids()
    assert [t["position"] for t in shown["tasks"]] == list(range(1, len(mine) + 1))
    first = shown["tasks"][0]
    assert first["window_start"] <= first["eta"] <= first["window_end"]
    assert shown["version"] == 1 and shown["nurse"] == "ane"


def test_each_action_moves_the_task_on_and_wrong_ones_are_refused(
    client: TestClient, database_url: str, shift: int
) -> None:
    ane = nurse_headers(database_url, "ane")
    before = client.get("/api/night/plan", headers=ane).json()
    assert client.post("/api/night/tasks/T1/done", headers=ane).status_code == 409
    for action, state in (("acknowledge", "acknowledged"), ("start", "started"), ("done", "done")):
        answer = client.post(f"/api/night/tasks/T1/{action}", headers=ane)
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == state
    after = client.get("/api/night/plan", headers=ane).json()
    # Three state changes, and a re-plan after "done" so that the ETAs ahead stay true.
    assert after["revision"] == before["revision"] + 4
    assert after["version"] == before["version"] + 1
    assert after["tasks"][0]["task_id"] == "T1" and after["tasks"][0]["state"] == "done"
    assert client.post("/api/night/tasks/T1/start", headers=ane).status_code == 409
    assert client.post("/api/night/tasks/T9/start", headers=ane).status_code == 404
    assert client.post("/api/night/tasks/T1/teleport", headers=ane).status_code == 422
    with psycopg.connect(database_url) as conn:
        done_at = conn.execute("SELECT done_at FROM night_tasks WHERE task_id = 'T1'").fetchone()
    assert done_at is not None and done_at[0] is not None


def test_a_visit_finished_after_the_shift_ended_is_recorded_and_the_rest_explained(
    client: TestClient, database_url: str
) -> None:
    """The last visit of the night overran the shift: "done" is stored and answered, and the
    re-plan leaves the open task out with a reason (this answered 500: the solver failed)."""
    with psycopg.connect(database_url) as conn:
        shift_id = seed_shift(
            conn,
            [nurse("ane")],
            [
                task("T1", "Birk", -300, "Insulin", EAST, window=120),
                task("T2", "Gullestrup", -200, "Wound dressing", WEST, window=120),
            ],
            started_minutes_ago=600,
            hours=9,
        )
    client.app.state.night.ensure_plan(  # type: ignore[attr-defined]
        shift_id, datetime.now(UTC) - timedelta(hours=7)
    )
    ane = nurse_headers(database_url, "ane")
    assert client.post("/api/night/tasks/T1/start", headers=ane).status_code == 200
    # Still on that visit: her phone keeps the ended shift, so she can mark it done.
    still_on = client.get("/api/night/plan", headers=ane)
    assert still_on.status_code == 200 and still_on.json()["shift_id"] == shift_id
    assert still_on.json()["tasks"][0]["state"] == "started"
    answer = client.post("/api/night/tasks/T1/done", headers=ane)
    assert answer.status_code == 200, answer.text
    assert client.get("/api/night/plan", headers=ane).status_code == 404, "the night is over"
    with psycopg.connect(database_url) as conn:
        rows = dict(conn.execute("SELECT task_id, unplanned_reason FROM night_tasks").fetchall())
        versions = conn.execute("SELECT count(*) FROM night_plans").fetchone()
    assert rows["T2"] and "window closes" in rows["T2"]
    assert versions == (2,)


def test_a_critical_alert_for_a_patient_without_a_home_says_so_on_the_alert(
    database_url: str, shift: int
) -> None:
    """No place to send a nurse: no task, but the alert itself says it (once), where home care
    sees it, instead of a line in the server log."""
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P2", unit="Herning Vest"))
        row = conn.execute(
            "INSERT INTO alerts (entity_type, entity_id, rule, severity, state, audience, title,"
            " first_at, last_at) VALUES ('patient', 'P2', 'spo2_low', 'critical', 'open',"
            " 'home_care', 'SpO2 82 %%', now() - interval '5 minutes', now()) RETURNING alert_id"
        ).fetchone()
        assert row is not None
        found = store.get_shift(conn, shift)
        assert alert_tasks(conn, found, QUICK) == []
        assert alert_tasks(conn, found, QUICK) == []
        said = conn.execute(
            "SELECT actor, detail->>'text' FROM alert_history WHERE alert_id = %s", (row[0],)
        ).fetchall()
    assert len(said) == 1 and said[0][0] == "night planner"
    assert "P2 has no home location" in said[0][1]


def test_a_care_assistant_cannot_start_a_task_that_needs_a_registered_nurse(
    client: TestClient, database_url: str, shift: int
) -> None:
    bo = nurse_headers(database_url, "bo")  # on the shift as a care assistant
    refused = client.post("/api/night/tasks/T1/start", headers=bo)
    assert refused.status_code == 409
    assert "needs a registered nurse" in refused.json()["detail"]
    assert _stamps(database_url, "T1") == (None, None, None)
    with psycopg.connect(database_url) as conn:
        owner = conn.execute("SELECT nurse FROM night_tasks WHERE task_id = 'T1'").fetchone()
    assert owner != ("bo",)
    assert client.post("/api/night/tasks/T3/start", headers=bo).status_code == 200
    ane = nurse_headers(database_url, "ane")
    assert client.post("/api/night/tasks/T1/start", headers=ane).status_code == 200


def test_a_nurse_cannot_acknowledge_or_finish_a_task_on_anothers_route(
    client: TestClient, database_url: str, shift: int
) -> None:
    """bo never sees ane's tasks, but her phone could still send for them: acknowledging one
    of them, or finishing the visit ane is doing, is refused with why."""
    ane, bo = nurse_headers(database_url, "ane"), nurse_headers(database_url, "bo")
    assert client.get("/api/night/plan", headers=ane).status_code == 200
    with psycopg.connect(database_url) as conn:
        (on_route,) = conn.execute(
            "SELECT task_id FROM night_tasks WHERE nurse = 'ane' ORDER BY task_id LIMIT 1"
        ).fetchone() or ("",)
    refused = client.post(f"/api/night/tasks/{on_route}/acknowledge", headers=bo)
    assert refused.status_code == 409 and "on ane's route" in refused.json()["detail"]
    assert client.post(f"/api/night/tasks/{on_route}/start", headers=ane).status_code == 200
    for action in ("done", "start"):
        taken = client.post(f"/api/night/tasks/{on_route}/{action}", headers=bo)
        assert taken.status_code == 409, f"bo could {action} the visit ane is doing"
    assert client.post(f"/api/night/tasks/{on_route}/done", headers=ane).status_code == 200
    assert _stamps(database_url, on_route)[2] is not None


def test_a_critical_alert_left_open_at_the_handover_goes_to_the_night_shift(
    database_url: str, shift: int
) -> None:
    """Raised ten minutes before the shift and acknowledged by nobody: the night nurse takes
    it, due from the shift's start. One the day team acknowledged, or raised long before,
    stays with them."""

    def raised(rule: str, minutes_before_shift: int, state: str) -> None:
        conn.execute(
            "INSERT INTO alerts (entity_type, entity_id, rule, severity, state, audience, title,"
            " first_at, last_at) VALUES ('patient', 'P1', %s, 'critical', %s, 'home_care',"
            " 'Out of range', %s, %s)",
            (rule, state, starts - timedelta(minutes=minutes_before_shift), starts),
        )

    with psycopg.connect(database_url) as conn:
        found = store.get_shift(conn, shift)
        starts = found.starts_at
        raised("spo2_low", 10, "open")
        raised("pulse_high", 5, "acknowledged")
        raised("bp_high", QUICK.night_urgent_within_minutes + 30, "open")
        tasks = alert_tasks(conn, found, QUICK)
    assert [t.window_start for t in tasks] == [starts]
    assert tasks[0].window_end == starts + timedelta(minutes=QUICK.night_urgent_within_minutes)


def test_an_alert_that_turns_critical_during_the_shift_sends_a_nurse(
    database_url: str, shift: int
) -> None:
    """A warning raised in the afternoon that turns critical in the night calls for a nurse
    like a new critical alert: it counts from when it became critical, not when first
    raised."""
    with psycopg.connect(database_url) as conn:
        found = store.get_shift(conn, shift)
        warning = Signal(
            "patient",
            "P1",
            "heart_rate",
            True,
            found.starts_at - timedelta(hours=3),
            severity="warning",
            audience="home_care",
            title="Pulse 110/min",
        )
        apply_signals(conn, [warning])
        assert alert_tasks(conn, found, QUICK) == [], "a warning sends nobody"
        now = datetime.now(UTC)
        assert found.starts_at <= now < found.ends_at
        apply_signals(conn, [replace(warning, at=now, severity="critical", title="Pulse 135")])
        tasks = alert_tasks(conn, found, QUICK)
    assert len(tasks) == 1 and tasks[0].urgent and tasks[0].patient_id == "P1"
    assert abs(tasks[0].window_start - now) < timedelta(minutes=1), "due from the escalation"


def _stamps(database_url: str, task_id: str) -> tuple[datetime | None, ...]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT acknowledged_at, started_at, done_at FROM night_tasks WHERE task_id = %s",
            (task_id,),
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_actions_sent_late_by_a_phone_without_signal_keep_the_time_they_were_pressed(
    client: TestClient, database_url: str, shift: int
) -> None:
    ane = nurse_headers(database_url, "ane")
    now = datetime.now(UTC).replace(microsecond=0)
    started, done = now - timedelta(minutes=40), now - timedelta(minutes=15)
    for action, at in (("start", started), ("done", done)):
        answer = client.post(
            f"/api/night/tasks/T1/{action}", params={"at": at.isoformat()}, headers=ane
        )
        assert answer.status_code == 200, answer.text
    assert _stamps(database_url, "T1")[1:] == (started, done)

    # The phone never got the answer and sends "done" again: nothing changes.
    revision = client.get("/api/night/plan", headers=ane).json()["revision"]
    again = client.post("/api/night/tasks/T1/done", params={"at": now.isoformat()}, headers=ane)
    assert again.status_code == 200 and again.json()["state"] == "done"
    assert _stamps(database_url, "T1")[2] == done
    assert client.get("/api/night/plan", headers=ane).json()["revision"] == revision


def test_a_phone_clock_ahead_or_behind_is_held_to_the_truth(
    client: TestClient, database_url: str, shift: int
) -> None:
    ane = nurse_headers(database_url, "ane")
    before = datetime.now(UTC)
    ahead = before + timedelta(hours=2)
    answer = client.post("/api/night/tasks/T1/start", params={"at": ahead.isoformat()}, headers=ane)
    assert answer.status_code == 200, answer.text
    started = _stamps(database_url, "T1")[1]
    assert started is not None and before <= started <= datetime.now(UTC), "not in the future"
    behind = before - timedelta(hours=1)  # before she started it
    client.post("/api/night/tasks/T1/done", params={"at": behind.isoformat()}, headers=ane)
    assert _stamps(database_url, "T1")[2] == started, "never done before it was started"


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        ("2026-11-23T02:10:00", "timezone"),  # a time without its offset is ambiguous
        ((datetime.now(UTC) - timedelta(hours=13)).isoformat(), "too late to record"),
    ],
    ids=["without-offset", "13-hours-ago"],
)
def test_an_action_time_that_cannot_be_true_is_refused(
    client: TestClient, database_url: str, shift: int, at: str, reason: str
) -> None:
    ane = nurse_headers(database_url, "ane")
    answer = client.post("/api/night/tasks/T1/start", params={"at": at}, headers=ane)
    assert answer.status_code == 422 and reason in answer.text
    assert _stamps(database_url, "T1") == (None, None, None)


def test_a_nurse_not_on_the_shift_sees_and_touches_none_of_it(
    client: TestClient, database_url: str, shift: int
) -> None:
    stranger = nurse_headers(database_url, "cille")
    assert client.get("/api/night/plan", headers=stranger).status_code == 404
    assert client.post("/api/night/tasks/T1/start", headers=stranger).status_code == 404


@pytest.mark.parametrize("role", ["operator", "home_care_nurse", "infection_control", "admin"])
def test_only_night_nurses_reach_the_night_plan(
    client: TestClient, sign_in: SignIn, shift: int, role: str
) -> None:
    headers = sign_in(role)
    assert client.get("/api/night/plan", headers=headers).status_code == 403
    assert client.post("/api/night/tasks/T1/start", headers=headers).status_code == 403
    assert client.get("/api/night/stream", headers=headers).status_code == 403


def test_a_night_nurse_cannot_open_the_triage_board(client: TestClient, sign_in: SignIn) -> None:
    assert client.get("/api/triage", headers=sign_in("night_nurse")).status_code == 403


def test_reading_a_plan_with_a_patient_on_it_is_audited(
    client: TestClient, database_url: str, sign_in: SignIn, shift: int
) -> None:
    client.get("/api/night/plan", headers=nurse_headers(database_url, "ane"))
    audit = client.get("/api/admin/audit", headers=sign_in("admin")).json()
    reads = [e for e in audit if e["action"] == "night_plan"]
    assert [(e["username"], e["patient_id"]) for e in reads] == [("ane", "P1")]


def test_tasks_no_route_can_take_stay_visible_with_the_reason(
    client: TestClient, database_url: str
) -> None:
    closed = task("LATE", "Sunds", -120, "Eye drops", WEST, window=30, competence="care_assistant")
    with psycopg.connect(database_url) as conn:
        seed_shift(
            conn,
            [nurse("bo", "care_assistant")],
            [task("RN", "Birk", 30, "Injection", EAST), closed],
        )
    shown = client.get("/api/night/plan", headers=nurse_headers(database_url, "bo")).json()
    cards = {t["task_id"]: t for t in shown["tasks"]}
    assert set(cards) == {"RN", "LATE"} and shown["unplanned"] == 2
    assert not cards["RN"]["planned"] and cards["RN"]["eta"] is None
    assert "registered nurse" in cards["RN"]["unplanned_reason"]
    assert "Not on any route" in cards["RN"]["reason"]
    assert "window closes" in cards["LATE"]["unplanned_reason"]


def test_a_shift_in_the_future_is_planned_from_its_start(
    client: TestClient, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        starts = datetime.now(UTC) + timedelta(hours=3)
        shift_id = store.create_shift(
            conn, "later", starts, starts + timedelta(hours=8), [nurse("ane")]
        )
        later = task("L1", "Birk", 200, "Insulin", HERNING)
        store.add_task(conn, shift_id, later)
    shown = client.get("/api/night/plan", headers=nurse_headers(database_url, "ane")).json()
    assert shown["shift_id"] == shift_id
    assert shown["tasks"][0]["eta"] >= later.window_start.isoformat()


def test_at_a_handover_urgent_work_goes_to_the_shift_still_on_duty(database_url: str) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        evening = store.create_shift(
            conn, "evening", now - timedelta(hours=8), now + timedelta(minutes=15), [nurse("bo")]
        )
        night = store.create_shift(
            conn, "night", now - timedelta(minutes=30), now + timedelta(hours=8), [nurse("ane")]
        )

        def chosen(at: datetime, within_minutes: int) -> int | None:
            shift = store.active_shift(conn, at, at + timedelta(minutes=within_minutes))
            return None if shift is None else shift.shift_id

        assert chosen(now, 60) == night, "the evening shift ends before the task must start"
        assert chosen(now, 10) == evening, "both are on duty: the one that started first"
        assert chosen(now - timedelta(hours=1), 60) == evening, "before the handover"
        assert chosen(now + timedelta(hours=7, minutes=30), 60) == night, "the last one ending"
        assert chosen(now + timedelta(hours=9), 60) is None


def test_the_demo_night_is_made_once_and_planned_for_both_nurses(
    client: TestClient, database_url: str
) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        shift_id = ensure_demo_night(conn, ("ane", "bo"), now, QUICK.planning_timezone)
        assert ensure_demo_night(conn, ("ane", "bo"), now, QUICK.planning_timezone) is None
    views = [
        client.get("/api/night/plan", headers=nurse_headers(database_url, n)).json()
        for n in ("ane", "bo")
    ]
    assert {v["shift_id"] for v in views} == {shift_id}
    planned = [t["task_id"] for v in views for t in v["tasks"] if t["planned"]]
    unplanned = {t["task_id"] for v in views for t in v["tasks"] if not t["planned"]}
    assert len(planned) == len(set(planned)), "each task on one route at most"
    assert len(set(planned) | unplanned) == 18
    assert all(v["tasks"] for v in views), "both nurses have work"


def test_a_plan_that_breaks_a_rule_is_never_served(
    client: TestClient, database_url: str, shift: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solver is real; its answer is bent (every visit an hour late) on the way out, and
    the checker in front of the store must catch it."""
    real = night_service.solve_night_plan

    def late(*args: Any, **kwargs: Any) -> Plan:
        plan = real(*args, **kwargs)
        routes = tuple(
            replace(r, visits=tuple(replace(v, start=v.start + 3600) for v in r.visits))
            for r in plan.routes
        )
        return replace(plan, routes=routes)

    monkeypatch.setattr(night_service, "solve_night_plan", late)
    ane = nurse_headers(database_url, "ane")
    answer = client.get("/api/night/plan", headers=ane)
    assert answer.status_code == 503 and "window" in answer.json()["detail"]
    streamed = client.get("/api/night/stream", headers=ane)  # the phone's live view says so too
    assert streamed.status_code == 503 and "window" in streamed.json()["detail"]
    with psycopg.connect(database_url) as conn:
        assert store.latest_plan(conn, shift) is None


def test_acknowledging_a_task_on_no_route_takes_it_and_the_next_nurse_is_told(
    client: TestClient, database_url: str
) -> None:
    """A task no route could take shows on every phone; the first nurse to acknowledge it has
    it (and keeps it through re-plans), and another's acknowledge is refused, naming her."""
    far = (56.60, 9.60)  # an hour's drive: no window can be met
    with psycopg.connect(database_url) as conn:
        shift_id = seed_shift(
            conn,
            [nurse("ane"), nurse("bo")],
            [task("U1", "Far", 0, "Urgent check", far, window=20)],
        )
    ane, bo = nurse_headers(database_url, "ane"), nurse_headers(database_url, "bo")
    shown = client.get("/api/night/plan", headers=bo).json()
    assert [(t["task_id"], t["planned"]) for t in shown["tasks"]] == [("U1", False)]
    taken = client.post("/api/night/tasks/U1/acknowledge", headers=ane)
    assert taken.status_code == 200 and taken.json()["state"] == "acknowledged"
    refused = client.post("/api/night/tasks/U1/acknowledge", headers=bo)
    assert refused.status_code == 409 and "taken" in refused.json()["detail"]
    assert "ane" in refused.json()["detail"]
    again = client.post("/api/night/tasks/U1/acknowledge", headers=ane)
    assert again.status_code == 200, "her own repeat changes nothing"
    # An urgent task re-plans the shift: U1 stays hers, and off bo's phone.
    client.app.state.night.add_urgent(  # type: ignore[attr-defined]
        shift_id, [task("U2", "Birk", 10, "Fall", EAST)], datetime.now(UTC)
    )
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT nurse, state FROM night_tasks WHERE task_id = 'U1'").fetchone()
    assert row == ("ane", "acknowledged")
    assert "U1" in [
        t["task_id"] for t in client.get("/api/night/plan", headers=ane).json()["tasks"]
    ]
    assert "U1" not in [
        t["task_id"] for t in client.get("/api/night/plan", headers=bo).json()["tasks"]
    ]
