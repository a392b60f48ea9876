"""Alerts over HTTP: role boundaries, lifecycle actions, and the live stream with replay."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from fix_auth import SignIn
from fix_server import LiveServer
from night_seed import HERNING, nurse, seed_shift, task

from tilsyn.platform.alerts.engine import AlertEngine
from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.alerts.models import Severity, Signal
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.api.app import create_app
from tilsyn.platform.api.routes.alerts import SESSION_CHECK_S
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import VITAL_OBSERVATIONS
from tilsyn.platform.planning.night_store import Assignment, add_task, save_assignments
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration


@pytest.fixture
def running(database_url: str) -> Iterator[tuple[str, AlertEngine]]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P7", unit="Våler"))
        conn.execute("INSERT INTO patient_thresholds VALUES ('P7', 'heart_rate', 50, 100, 40, 120)")
    hub = NotificationHub()
    engine = AlertEngine(database_url, hub, periodic_seconds=3600)
    engine.start()
    with LiveServer(create_app(database_url, hub=hub)) as server:
        yield server.url, engine
    engine.stop()


def _pulse(engine: AlertEngine, value: float) -> None:
    row = (datetime.now(UTC), "P7", "heart_rate", value, "/min", None, None, "hub-1")
    engine.observe([Accepted(f"p{time.time_ns()}", ((VITAL_OBSERVATIONS, (row,)),))], time.time())


def _listening(
    url: str,
    headers: dict[str, str],
    found: list[dict[str, object]],
    stop: threading.Event | None = None,
) -> threading.Thread:
    """A reader of the alert stream in a thread, given half a second to connect."""
    args = (url, headers, found, stop or threading.Event())
    reader = threading.Thread(target=_read_events, args=args, daemon=True)
    reader.start()
    time.sleep(0.5)
    return reader


def _read_events(
    url: str, headers: dict[str, str], found: list[dict[str, object]], stop: threading.Event
) -> None:
    with httpx.stream("GET", f"{url}/api/alerts/stream", headers=headers, timeout=30) as stream:
        event: dict[str, object] = {}
        for line in stream.iter_lines():
            if line.startswith("id: "):
                event["id"] = int(line[4:])
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif line == "" and "data" in event:
                found.append(event)
                event = {}
                if stop.is_set():
                    return


def test_the_nurse_sees_a_red_pulse_live_and_acts_on_it(
    running: tuple[str, AlertEngine], sign_in: SignIn
) -> None:
    url, engine = running
    nurse = sign_in("home_care_nurse")
    events: list[dict[str, object]] = []
    stop = threading.Event()
    _listening(url, nurse, events, stop)
    _pulse(engine, 135)
    deadline = time.monotonic() + 10
    while not events and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    assert events, "no alert on the live stream"
    alert = events[0]["data"]["alert"]  # type: ignore[index]
    assert (alert["rule"], alert["severity"], alert["entity_id"]) == (
        "vital:heart_rate",
        "critical",
        "P7",
    )
    alert_id = alert["alert_id"]
    acked = httpx.post(f"{url}/api/alerts/{alert_id}/acknowledge", headers=nurse).json()
    assert acked["state"] == "acknowledged"
    again = httpx.post(f"{url}/api/alerts/{alert_id}/acknowledge", headers=nurse)
    assert again.status_code == 409
    httpx.post(f"{url}/api/alerts/{alert_id}/comments", headers=nurse, json={"text": "called"})
    done = httpx.post(f"{url}/api/alerts/{alert_id}/resolve", headers=nurse, json={"text": "ok"})
    assert [h["event"] for h in done.json()["history"]] == [
        "raised",
        "acknowledged",
        "commented",
        "resolved",
    ]
    # Each answer held the patient's alert (her pulse in its title): each is a read of it.
    trail = httpx.get(
        f"{url}/api/admin/audit", params={"patient_id": "P7"}, headers=sign_in("admin")
    ).json()
    assert {entry["action"] for entry in trail} >= {
        "stream_alert",
        "acknowledge_alert",
        "comment_alert",
        "resolve_alert",
    }


def test_a_reconnecting_stream_replays_what_it_missed(
    running: tuple[str, AlertEngine], sign_in: SignIn
) -> None:
    url, engine = running
    nurse = sign_in("home_care_nurse")
    _pulse(engine, 30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listed = httpx.get(f"{url}/api/alerts", headers=nurse).json()
        if listed:
            break
        time.sleep(0.1)
    headers = {**nurse, "Last-Event-ID": "0"}
    events: list[dict[str, object]] = []
    stop = threading.Event()
    stop.set()  # return after the first event: the replayed one
    _read_events(url, headers, events, stop)
    assert events[0]["data"]["event"] == "raised"  # type: ignore[index]


def test_roles_see_only_their_own_alerts(running: tuple[str, AlertEngine], sign_in: SignIn) -> None:
    url, engine = running
    _pulse(engine, 130)
    nurse, operator = sign_in("home_care_nurse"), sign_in("operator")
    deadline = time.monotonic() + 10
    while not httpx.get(f"{url}/api/alerts", headers=nurse).json():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    alert_id = httpx.get(f"{url}/api/alerts", headers=nurse).json()[0]["alert_id"]
    assert httpx.get(f"{url}/api/alerts", headers=operator).json() == []
    assert httpx.get(f"{url}/api/alerts/{alert_id}", headers=operator).status_code == 404
    assert httpx.get(f"{url}/api/alerts").status_code == 401


@pytest.mark.parametrize("how", ["signs out", "is made inactive"])
def test_a_stream_ends_when_its_session_does(
    running: tuple[str, AlertEngine], sign_in: SignIn, database_url: str, how: str
) -> None:
    """The stream outlives the request that checked the session: after sign-out, or once an
    admin made the user inactive, the next patient alert must not reach it."""
    url, engine = running
    nurse = sign_in("home_care_nurse")
    events: list[dict[str, object]] = []
    reader = _listening(url, nurse, events)
    if how == "signs out":
        assert httpx.post(f"{url}/api/auth/logout", headers=nurse).status_code == 204
    else:
        with psycopg.connect(database_url) as conn:
            conn.execute("UPDATE users SET active = false WHERE role = 'home_care_nurse'")
    _pulse(engine, 135)
    reader.join(timeout=10)
    assert not reader.is_alive(), "the stream was closed"
    assert events == [], "no alert reached a session that had ended"


def test_an_operators_stream_outlives_her_session_by_a_second_at_most(
    database_url: str, sign_in: SignIn
) -> None:
    """Operational alerts look the session up at most once a second (a storm brings hundreds
    a second); a container alert announced a second after sign-out must not go out."""
    hub = NotificationHub()
    operator = sign_in("operator")
    with LiveServer(create_app(database_url, hub=hub)) as server:
        events: list[dict[str, object]] = []
        reader = _listening(server.url, operator, events)
        assert httpx.post(f"{server.url}/api/auth/logout", headers=operator).status_code == 204
        time.sleep(SESSION_CHECK_S + 0.2)
        alert = {"alert_id": 1, "entity_type": "container", "entity_id": "C1"}
        hub.announce([Notification(1, "operator", {"event": "raised", "alert": alert})])
        reader.join(timeout=10)
        assert not reader.is_alive(), "the stream was closed"
    assert events == [], "no alert reached a session that had ended"


def test_stopping_the_server_ends_the_open_streams_instead_of_cancelling_them(
    database_url: str, sign_in: SignIn
) -> None:
    """A live stream never ends by itself: uvicorn waited for it, then cancelled it with an
    error and a trace in the log. The server ends its streams before it stops."""
    errors: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = errors.append  # type: ignore[method-assign]
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(handler)
    try:
        with LiveServer(create_app(database_url)) as server:
            events: list[dict[str, object]] = []
            reader = _listening(server.url, sign_in("operator"), events)
        reader.join(timeout=10)
    finally:
        uvicorn_log.removeHandler(handler)
    assert not reader.is_alive(), "the stream ended with the server"
    assert [r.getMessage() for r in errors] == []


def test_a_change_announced_after_a_newer_one_still_reaches_the_stream(
    database_url: str, sign_in: SignIn
) -> None:
    """Each change is announced after its own commit, so a fire raised (outbox id 10) may be
    announced after an acknowledge committed just after it (id 11): both must go out."""
    hub = NotificationHub()
    nurse = sign_in("home_care_nurse")
    with LiveServer(create_app(database_url, hub=hub)) as server:
        events: list[dict[str, object]] = []
        stop = threading.Event()
        reader = _listening(server.url, nurse, events, stop)
        for outbox_id, event in ((11, "acknowledged"), (10, "raised"), (11, "acknowledged")):
            alert = {"alert_id": outbox_id, "entity_type": "container", "entity_id": "C1"}
            hub.announce([Notification(outbox_id, "home_care", {"event": event, "alert": alert})])
        deadline = time.monotonic() + 10
        while len(events) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        last = {"alert_id": 12, "entity_type": "container", "entity_id": "C2"}
        hub.announce([Notification(12, "home_care", {"event": "raised", "alert": last})])
        reader.join(timeout=10)  # it returns after the next event once stopped
    assert [e["id"] for e in events] == [11, 10, 12], "each once, the late one too"


def test_a_replay_longer_than_one_page_is_sent_whole(database_url: str, sign_in: SignIn) -> None:
    """An operator's screen away over a busy night: 1,100 changes, more than one page."""
    now = datetime.now(UTC)
    signals = [
        Signal("container", f"C{n}", "silent", True, now, "warning", "operator", "", "s", {})
        for n in range(1100)
    ]
    with psycopg.connect(database_url) as conn:
        apply_signals(conn, signals)
    headers = {**sign_in("operator"), "Last-Event-ID": "0"}
    ids: list[int] = []
    with (
        LiveServer(create_app(database_url)) as server,
        httpx.stream("GET", f"{server.url}/api/alerts/stream", headers=headers, timeout=30) as s,
    ):
        deadline = time.monotonic() + 20  # keep-alives every 15 s end a stream that stalls
        for line in s.iter_lines():
            if line.startswith("id: "):
                ids.append(int(line[4:]))
            if len(ids) == 1100 or time.monotonic() > deadline:
                break
    assert ids == sorted(set(ids)) and len(ids) == 1100


class _CheckedAtAnnouncement(NotificationHub):
    """Reads, from another connection, the state of each alert as it is announced."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.database_url = database_url
        self.states_seen: list[str] = []

    def announce(self, notifications: list[Notification]) -> None:
        with psycopg.connect(self.database_url) as conn:
            for notification in notifications:
                alert = notification.payload["alert"]
                assert isinstance(alert, dict)
                row = conn.execute(
                    "SELECT state FROM alerts WHERE alert_id = %s", (alert["alert_id"],)
                ).fetchone()
                self.states_seen.append(row[0] if row else "missing")
        super().announce(notifications)


def test_an_acknowledge_is_committed_before_the_streams_hear_of_it(
    database_url: str, sign_in: SignIn
) -> None:
    """The API used to announce before its request committed: a stream could show a change
    that another reader did not find yet, or one that then failed to commit."""
    now = datetime.now(UTC)
    fire = Signal("container", "C9", "fire", True, now, "critical", "operator", "", "Fire", {})
    with psycopg.connect(database_url) as conn:
        apply_signals(conn, [fire])
        alert_id = conn.execute("SELECT alert_id FROM alerts WHERE entity_id = 'C9'").fetchone()
    assert alert_id is not None
    hub = _CheckedAtAnnouncement(database_url)
    with LiveServer(create_app(database_url, hub=hub)) as server:
        answer = httpx.post(
            f"{server.url}/api/alerts/{alert_id[0]}/acknowledge", headers=sign_in("operator")
        )
    assert answer.status_code == 200, answer.text
    # Announced by the request, and again when the database's notice of it came in.
    assert hub.states_seen and set(hub.states_seen) == {"acknowledged"}


def _patient_alert(
    conn: psycopg.Connection, patient_id: str, title: str, severity: Severity = "critical"
) -> int:
    """An alert about the patient, for home care, as the rules raise one."""
    now = datetime.now(UTC)
    signal = Signal("patient", patient_id, "vital:hr", True, now, severity, "home_care", "", title)
    apply_signals(conn, [signal])
    row = conn.execute("SELECT alert_id FROM alerts WHERE entity_id = %s", (patient_id,)).fetchone()
    assert row is not None
    return int(row[0])


def _night_task_for(
    conn: psycopg.Connection, shift_id: int, alert_id: int, patient_id: str, planned: Assignment
) -> None:
    """The urgent night task the alert became, placed (or not) as the planner would."""
    urgent = replace(
        task(f"alert-{alert_id}", "Våler", 0, "Alert", HERNING),
        source="alert",
        urgent=True,
        patient_id=patient_id,
        alert_id=alert_id,
    )
    add_task(conn, shift_id, urgent)
    save_assignments(conn, [replace(planned, task_id=urgent.task_id)])


def test_the_alert_says_whether_a_night_nurse_is_coming(database_url: str, sign_in: SignIn) -> None:
    """The planner wrote why no nurse could come on the night task only: home care, watching
    the alert, was not told. The alert now carries the night visit, in the visits' shape."""
    eta = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=40)
    reason = "window closes at 02:10, but the first competent nurse can be there at 03:05"
    with psycopg.connect(database_url) as conn:
        for patient_id in ("P1", "P2", "P3"):
            register_patient(conn, PatientIn(patient_id=patient_id, unit="Våler"))
        shift_id = seed_shift(conn, [nurse("ane")], [])
        coming = _patient_alert(conn, "P1", "Pulse 131")
        not_coming = _patient_alert(conn, "P2", "SpO2 84 %")
        no_task = _patient_alert(conn, "P3", "Pulse 112", "warning")  # sends no nurse
        _night_task_for(conn, shift_id, coming, "P1", Assignment("", "ane", 1, eta, None))
        _night_task_for(conn, shift_id, not_coming, "P2", Assignment("", None, None, None, reason))
    carer = sign_in("home_care_nurse")
    with LiveServer(create_app(database_url)) as server:
        listed = httpx.get(f"{server.url}/api/alerts", headers=carer).json()
        read = httpx.get(f"{server.url}/api/alerts/{not_coming}", headers=carer).json()
    night_task = {a["alert_id"]: a["night_task"] for a in listed}
    # Whether and when, not who nor her route: those are the night shift's.
    assert datetime.fromisoformat(night_task[coming].pop("eta")) == eta
    assert night_task[coming] == {"state": "planned", "planned": True, "unplanned_reason": None}
    assert night_task[not_coming] == {
        "state": "planned",
        "planned": False,
        "eta": None,
        "unplanned_reason": reason,
    }
    assert night_task[no_task] is None
    assert read["night_task"] == night_task[not_coming]


def test_comments_are_on_the_alert_oldest_first_with_who_and_when(
    database_url: str, sign_in: SignIn
) -> None:
    """Staff hand over between shifts in an alert's comments: the list shows them."""
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
        alert_id = _patient_alert(conn, "P1", "Pulse 131")
    evening, night = sign_in("home_care_nurse"), sign_in("home_care_nurse")
    before = datetime.now(UTC)
    with LiveServer(create_app(database_url)) as server:
        said = [
            (evening, "Called daughter, she will check at 9"),
            (night, "Daughter called back: all well"),
        ]
        for who, text in said:
            answer = httpx.post(
                f"{server.url}/api/alerts/{alert_id}/comments", headers=who, json={"text": text}
            )
            assert answer.status_code == 200, answer.text
        names = [
            httpx.get(f"{server.url}/api/auth/me", headers=who).json()["username"]
            for who in (evening, night)
        ]
        listed = httpx.get(f"{server.url}/api/alerts", headers=night).json()
        read = httpx.get(f"{server.url}/api/alerts/{alert_id}", headers=night).json()
    comments = listed[0]["comments"]
    assert [(c["actor"], c["text"]) for c in comments] == [
        (names[0], "Called daughter, she will check at 9"),
        (names[1], "Daughter called back: all well"),
    ]
    times = [datetime.fromisoformat(c["at"]) for c in comments]
    assert before <= times[0] <= times[1] <= datetime.now(UTC)
    assert read["comments"] == comments
    assert answer.json()["comments"] == comments, "the commenter's answer shows it at once"
