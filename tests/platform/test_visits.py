"""Home-care visit requests: the contract the screen uses, who may ask, the audit, bad input,
and which requests the night shift takes on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn
from night_seed import give_home, nurse, seed_shift

from tilsyn.platform.api.app import create_app
from tilsyn.platform.config import Settings
from tilsyn.platform.planning import night_service
from tilsyn.platform.planning.visits import record_visit
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Herning Vest"))
        register_patient(conn, PatientIn(patient_id="P2", unit="Herning Vest"))
        give_home(conn, "P1", "Birkevej 4, 7400 Herning", (56.14, 8.99))
    settings = Settings(night_plan_seconds=1.0, night_replan_seconds=0.5)
    with TestClient(create_app(database_url, settings=settings)) as test_client:
        yield test_client


def test_a_request_answers_with_the_agreed_shape_and_is_listed(
    client: TestClient, sign_in: SignIn
) -> None:
    carer = sign_in("home_care_nurse")
    before = datetime.now(UTC)
    answer = client.post(
        "/api/patients/P1/visits",
        json={"reason": "red: pulse 131", "within_hours": 4},
        headers=carer,
    )
    assert answer.status_code == 201, answer.text
    visit = answer.json()
    assert {"visit_id", "patient_id", "reason", "due_by", "state"} <= set(visit)
    assert (visit["patient_id"], visit["reason"], visit["state"]) == (
        "P1",
        "red: pulse 131",
        "requested",
    )
    due = datetime.fromisoformat(visit["due_by"])
    assert before + timedelta(hours=4) <= due <= datetime.now(UTC) + timedelta(hours=4)
    assert visit["task_id"] is None, "no night shift is running, so no night task"
    listed = client.get("/api/patients/P1/visits", headers=carer).json()
    assert [v["visit_id"] for v in listed] == [visit["visit_id"]]
    assert client.get("/api/patients/P2/visits", headers=carer).json() == []


@pytest.mark.parametrize("role", ["night_nurse", "operator", "infection_control", "admin"])
def test_only_home_care_asks_for_visits(client: TestClient, sign_in: SignIn, role: str) -> None:
    headers = sign_in(role)
    body = {"reason": "check", "within_hours": 2}
    assert client.post("/api/patients/P1/visits", json=body, headers=headers).status_code == 403
    assert client.get("/api/patients/P1/visits", headers=headers).status_code == 403


@pytest.mark.parametrize(
    ("patient", "body", "status"),
    [
        ("P9", {"reason": "check", "within_hours": 2}, 404),
        ("P1", {"reason": "", "within_hours": 2}, 422),
        ("P1", {"reason": " \t ", "within_hours": 2}, 422),
        ("P1", {"reason": "check", "within_hours": 0}, 422),
        ("P1", {"reason": "check"}, 422),
        ("P1", {"reason": "check", "within_hours": "soon"}, 422),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_stored(
    client: TestClient,
    sign_in: SignIn,
    database_url: str,
    patient: str,
    body: dict[str, object],
    status: int,
) -> None:
    answer = client.post(
        f"/api/patients/{patient}/visits", json=body, headers=sign_in("home_care_nurse")
    )
    assert answer.status_code == status
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM visit_requests").fetchone() == (0,)


def test_requests_and_reads_are_audited(client: TestClient, sign_in: SignIn) -> None:
    carer = sign_in("home_care_nurse")
    client.post(
        "/api/patients/P1/visits", json={"reason": "check", "within_hours": 2}, headers=carer
    )
    client.get("/api/patients/P1/visits", headers=carer)
    audit = client.get("/api/admin/audit", headers=sign_in("admin")).json()
    actions = [(e["action"], e["patient_id"]) for e in audit]
    assert ("request_visit", "P1") in actions and ("read_visits", "P1") in actions


def test_a_request_sent_again_with_its_key_gives_back_the_first_visit(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """A double click or a resend after a lost answer: one visit, one night task."""
    with psycopg.connect(database_url) as conn:
        seed_shift(conn, [nurse("ane")], [], hours=6)
    carer = sign_in("home_care_nurse") | {"Idempotency-Key": "visit-key-0001"}
    body = {"reason": "fall", "within_hours": 2}
    first = client.post("/api/patients/P1/visits", json=body, headers=carer)
    again = client.post("/api/patients/P1/visits", json=body, headers=carer)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["visit_id"] == first.json()["visit_id"]
    assert (first.json()["already_requested"], again.json()["already_requested"]) == (False, True)
    assert again.json()["due_by"] == first.json()["due_by"], "the first request's time stands"
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM visit_requests").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM night_tasks").fetchone() == (1,)


def test_requests_without_a_key_are_each_a_visit(client: TestClient, sign_in: SignIn) -> None:
    carer = sign_in("home_care_nurse")
    body = {"reason": "check", "within_hours": 8}
    for _ in range(2):
        assert client.post("/api/patients/P2/visits", json=body, headers=carer).status_code == 201
    assert len(client.get("/api/patients/P2/visits", headers=carer).json()) == 2


def test_a_key_belongs_to_one_request_of_one_carer(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    key = {"Idempotency-Key": "shared-key-0001"}
    carer = sign_in("home_care_nurse") | key
    body = {"reason": "check", "within_hours": 8}
    assert client.post("/api/patients/P1/visits", json=body, headers=carer).status_code == 201
    other_patient = client.post("/api/patients/P2/visits", json=body, headers=carer)
    other_reason = client.post(
        "/api/patients/P1/visits", json={**body, "reason": "wound"}, headers=carer
    )
    assert (other_patient.status_code, other_reason.status_code) == (422, 422)
    assert "sent before for another visit" in other_reason.json()["detail"]
    colleague = sign_in("home_care_nurse") | key
    assert client.post("/api/patients/P1/visits", json=body, headers=colleague).status_code == 201
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM visit_requests").fetchone() == (2,)


@pytest.mark.parametrize("key", ["short", "has spaces in it", "x" * 101, "key/with/slashes"])
def test_malformed_keys_are_refused(
    client: TestClient, sign_in: SignIn, database_url: str, key: str
) -> None:
    headers = sign_in("home_care_nurse") | {"Idempotency-Key": key}
    body = {"reason": "check", "within_hours": 8}
    assert client.post("/api/patients/P1/visits", json=body, headers=headers).status_code == 422
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM visit_requests").fetchone() == (0,)


def test_two_requests_with_one_key_at_once_make_one_visit(
    client: TestClient, database_url: str
) -> None:
    """The second insert waits on the first's key until it commits, then finds its visit."""
    due = datetime.now(UTC) + timedelta(hours=2)
    with psycopg.connect(database_url) as first, psycopg.connect(database_url) as second:
        made, new = record_visit(first, "P1", "fall", due, "carer", "race-key-0001")
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(record_visit, second, "P1", "fall", due, "carer", "race-key-0001")
            time.sleep(0.3)
            assert not waiting.done(), "the second insert waits for the first to commit"
            first.commit()
            assert waiting.result(timeout=10) == (made, False) and new
        second.commit()
        assert first.execute("SELECT count(*) FROM visit_requests").fetchone() == (1,)


def test_the_running_night_shift_takes_a_visit_due_before_it_ends(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        seed_shift(conn, [nurse("ane")], [], hours=6)
    carer = sign_in("home_care_nurse")
    tonight = client.post(
        "/api/patients/P1/visits", json={"reason": "check", "within_hours": 2}, headers=carer
    ).json()
    next_week = client.post(
        "/api/patients/P1/visits", json={"reason": "check", "within_hours": 24 * 7}, headers=carer
    ).json()
    homeless = client.post(
        "/api/patients/P2/visits", json={"reason": "check", "within_hours": 2}, headers=carer
    ).json()
    assert tonight["task_id"] == f"visit-{tonight['visit_id']}"
    night_task = tonight["night_task"]
    assert night_task["planned"] and night_task["eta"] and night_task["state"] == "planned"
    assert next_week["task_id"] is None, "due after the shift: left for the day team"
    assert homeless["task_id"] is None, "no home on record: nowhere to send a nurse"
    assert next_week["night_task"] is None and homeless["night_task"] is None
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT nurse, urgent, source, patient_id FROM night_tasks WHERE task_id = %s",
            (tonight["task_id"],),
        ).fetchone()
    assert row == ("ane", True, "visit", "P1")


def test_the_carer_is_told_when_no_night_nurse_can_come_in_time(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """Due in six minutes, a twenty-minute visit across town: no nurse can be there in time.
    The reason showed on the night phones only; the carer was told "Visit requested"."""
    with psycopg.connect(database_url) as conn:
        seed_shift(conn, [nurse("ane")], [], hours=6)
    carer = sign_in("home_care_nurse")
    visit = client.post(
        "/api/patients/P1/visits", json={"reason": "fall", "within_hours": 0.1}, headers=carer
    ).json()
    night_task = visit["night_task"]
    assert not night_task["planned"] and night_task["eta"] is None
    assert night_task["unplanned_reason"], "the planner's reason, for the carer too"
    listed = client.get("/api/patients/P1/visits", headers=carer).json()
    assert listed[0]["night_task"] == night_task


def test_a_visit_for_a_shift_without_nurses_is_stored_once_and_answered(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """Nobody to plan for yet: the request and its task wait for the next plan; the carer gets
    201, not an error that makes her send it again."""
    with psycopg.connect(database_url) as conn:
        seed_shift(conn, [], [], hours=6)
    answer = client.post(
        "/api/patients/P1/visits",
        json={"reason": "check", "within_hours": 2},
        headers=sign_in("home_care_nurse"),
    )
    assert answer.status_code == 201, answer.text
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM visit_requests").fetchone() == (1,)
        assert conn.execute("SELECT task_id FROM night_tasks").fetchall() == [
            (answer.json()["task_id"],)
        ]


def test_a_visit_that_makes_the_first_plan_brings_in_the_open_critical_alerts(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """A critical alert raised before the shift had a plan (or before a restart) has no task
    yet; whichever request makes the first plan must take it in."""
    with psycopg.connect(database_url) as conn:
        give_home(conn, "P2", "Lindevej 1, 7400 Herning", (56.1393, 8.93))
        seed_shift(conn, [nurse("ane")], [], hours=6)
        conn.execute(
            "INSERT INTO alerts (entity_type, entity_id, rule, severity, state, audience, title,"
            " first_at, last_at) VALUES ('patient', 'P2', 'spo2_low', 'critical', 'open',"
            " 'night_nurse', 'SpO2 82 %%', now() - interval '10 minutes', now())"
        )
    client.post(
        "/api/patients/P1/visits",
        json={"reason": "check", "within_hours": 2},
        headers=sign_in("home_care_nurse"),
    )
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT source, patient_id, nurse FROM night_tasks").fetchall()
    assert sorted(rows) == [("alert", "P2", "ane"), ("visit", "P1", "ane")]


def test_a_visit_whose_plan_fails_says_so_on_the_task_and_is_answered(
    client: TestClient, sign_in: SignIn, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solver's plan is refused: the carer still gets 201, and the task says why it is on
    no route yet (the night service's sweep retries it) instead of waiting without a word."""
    with psycopg.connect(database_url) as conn:
        seed_shift(conn, [nurse("ane")], [], hours=6)
    monkeypatch.setattr(night_service, "check_night_plan", lambda *a, **k: ["forced"])
    answer = client.post(
        "/api/patients/P1/visits",
        json={"reason": "check", "within_hours": 2},
        headers=sign_in("home_care_nurse"),
    )
    assert answer.status_code == 201, answer.text
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT nurse, unplanned_reason FROM night_tasks WHERE task_id = %s",
            (answer.json()["task_id"],),
        ).fetchone()
    assert row == (None, "planning failed: forced; retrying")
