"""Least privilege over HTTP: sign-in, what each role may read, and the audit of patient reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.platform.api.app import create_app
from tilsyn.platform.auth.store import create_user
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
        register_patient(conn, PatientIn(patient_id="P2", unit="Våler"))
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, 'P2', 'spo2', 86, '%%', 'h'), (%s, 'P1', 'spo2', 97, '%%', 'h')",
            (datetime.now(UTC), datetime.now(UTC)),
        )
        conn.execute("INSERT INTO patient_thresholds VALUES ('P2', 'spo2', 94, NULL, 90, NULL)")
    with TestClient(create_app(database_url)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("role", "path", "expected"),
    [
        ("night_nurse", "/api/triage", 403),
        ("operator", "/api/triage", 403),
        ("operator", "/api/patients/P1/measurements", 403),
        ("admin", "/api/triage", 403),
        ("infection_control", "/api/containers", 403),
        ("home_care_nurse", "/api/containers", 403),
        ("home_care_nurse", "/api/admin/audit", 403),
        ("home_care_nurse", "/api/triage", 200),
        ("operator", "/api/containers", 200),
        ("admin", "/api/admin/audit", 200),
        ("infection_control", "/api/hygiene/dispensers", 200),
        ("infection_control", "/api/hygiene/compliance", 200),
        ("operator", "/api/hygiene/dispensers", 403),
        ("operator", "/api/containers/NONE/history", 404),
        ("night_nurse", "/api/containers/NONE/history", 403),
        # A night nurse sees the tasks on her route, not the records of every patient.
        ("night_nurse", "/api/patients/P1/measurements", 403),
        ("night_nurse", "/api/patients/P1/schedule", 403),
        ("night_nurse", "/fhir/Observation?patient=P2", 403),
        ("night_nurse", "/api/export/csv/vital_observations?start=2000-01-01&end=2100-01-01", 403),
        ("home_care_nurse", "/api/patients/P1/schedule", 200),
    ],
)
def test_each_role_reaches_only_what_its_job_needs(
    client: TestClient, sign_in: SignIn, role: str, path: str, expected: int
) -> None:
    assert client.get(path, headers=sign_in(role)).status_code == expected


def test_triage_puts_the_red_patient_first_and_every_read_is_audited(
    client: TestClient, sign_in: SignIn
) -> None:
    board = client.get("/api/triage", headers=sign_in("home_care_nurse")).json()
    assert [p["patient_id"] for p in board] == ["P2", "P1"]
    assert board[0]["colour"] == "red"
    assert "spo2" in board[0]["news2"]["missing"] or board[0]["news2"]["complete"] is False
    client.get("/api/patients/P1/measurements", headers=sign_in("home_care_nurse"))
    audit = client.get("/api/admin/audit", headers=sign_in("admin")).json()
    assert {(a["action"], a["patient_id"]) for a in audit} >= {
        ("triage_board", "P1"),
        ("triage_board", "P2"),
        ("read_measurements", "P1"),
    }
    assert all(a["role"] == "home_care_nurse" for a in audit)


def test_sign_in_is_rate_limited(client: TestClient, database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        create_user(conn, "ops.berg", "operator", "correct horse battery")
    wrong = {"username": "ops.berg", "password": "nope"}
    assert [client.post("/api/auth/login", json=wrong).status_code for _ in range(5)] == [401] * 5
    right = {"username": "ops.berg", "password": "correct horse battery"}
    assert client.post("/api/auth/login", json=right).status_code == 429
    # A name no user can have is refused before it is counted (or kept in memory).
    huge = {"username": "x" * 2_000_000, "password": "nope"}
    assert client.post("/api/auth/login", json=huge).status_code == 422


def test_sign_in_sets_a_session_that_the_api_accepts(client: TestClient, database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        create_user(conn, "nurse.lie", "home_care_nurse", "long enough password")
    signed = client.post(
        "/api/auth/login", json={"username": "nurse.lie", "password": "long enough password"}
    )
    assert signed.status_code == 200
    assert "token" not in signed.json(), "a script on the page could read the session there"
    assert client.get("/api/auth/me").json()["role"] == "home_care_nurse"  # the cookie
    client.post("/api/auth/logout")
    assert client.get("/api/auth/me").status_code == 401


def test_an_api_client_gets_a_bearer_token_and_no_cookie(
    client: TestClient, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        create_user(conn, "ops.moe", "operator", "long enough password")
    wrong = client.post("/api/auth/token", json={"username": "ops.moe", "password": "nope"})
    assert wrong.status_code == 401 and "token" not in wrong.json()
    issued = client.post(
        "/api/auth/token", json={"username": "ops.moe", "password": "long enough password"}
    )
    assert issued.status_code == 200 and "set-cookie" not in issued.headers
    assert issued.json()["role"] == "operator"
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert client.get("/api/auth/me").status_code == 401, "no cookie was set"
    assert client.get("/api/auth/me", headers=bearer).json()["username"] == "ops.moe"
    client.post("/api/auth/logout", headers=bearer)
    assert client.get("/api/auth/me", headers=bearer).status_code == 401


def test_api_tokens_count_towards_the_sign_in_limit(client: TestClient, database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        create_user(conn, "ops.lund", "operator", "correct horse battery")
    wrong = {"username": "ops.lund", "password": "nope"}
    assert [client.post("/api/auth/token", json=wrong).status_code for _ in range(3)] == [401] * 3
    assert [client.post("/api/auth/login", json=wrong).status_code for _ in range(2)] == [401] * 2
    right = {"username": "ops.lund", "password": "correct horse battery"}
    assert client.post("/api/auth/token", json=right).status_code == 429


def test_thresholds_are_edited_by_home_care_and_validated(
    client: TestClient, sign_in: SignIn
) -> None:
    nurse = sign_in("home_care_nurse")
    good = {"green_low": 92, "yellow_low": 88}
    assert (
        client.put("/api/patients/P1/thresholds/spo2", json=good, headers=nurse).status_code == 200
    )
    bad = {"green_low": 85, "yellow_low": 90}
    assert (
        client.put("/api/patients/P1/thresholds/spo2", json=bad, headers=nurse).status_code == 422
    )
    assert (
        client.put(
            "/api/patients/P1/thresholds/spo2", json=good, headers=sign_in("night_nurse")
        ).status_code
        == 403
    )


def test_the_threshold_form_reads_the_saved_thresholds_and_the_read_is_audited(
    client: TestClient, sign_in: SignIn
) -> None:
    nurse = sign_in("home_care_nurse")
    client.put(
        "/api/patients/P1/thresholds/heart_rate",
        json={"yellow_low": 40, "green_low": 50, "green_high": 100, "yellow_high": 120},
        headers=nurse,
    )
    assert client.get("/api/patients/P1/thresholds", headers=nurse).json() == [
        {
            "kind": "heart_rate",
            "green_low": 50.0,
            "green_high": 100.0,
            "yellow_low": 40.0,
            "yellow_high": 120.0,
        }
    ]
    assert client.get("/api/patients/P9/thresholds", headers=nurse).status_code == 404
    assert client.get("/api/patients/P1/thresholds", headers=sign_in("operator")).status_code == 403
    audit = client.get("/api/admin/audit", headers=sign_in("admin")).json()
    assert any(e["action"] == "read_thresholds" and e["patient_id"] == "P1" for e in audit), (
        "the threshold read is audited"
    )


def test_admins_register_webhooks_and_see_the_secret_once(
    client: TestClient, sign_in: SignIn
) -> None:
    admin = sign_in("admin")
    made = client.post(
        "/api/admin/webhooks",
        headers=admin,
        json={"url": "https://example.org/hook", "audiences": ["operator"]},
    )
    assert made.status_code == 201 and len(made.json()["secret"]) > 30
    listed = client.get("/api/admin/webhooks", headers=admin).json()
    assert listed[0]["secret"] is None
    assert client.get("/api/admin/webhooks", headers=sign_in("operator")).status_code == 403
    metadata = {"url": "http://169.254.169.254/latest/meta-data", "audiences": ["operator"]}
    refused = client.post("/api/admin/webhooks", headers=admin, json=metadata)
    assert refused.status_code == 422 and "link-local" in refused.text


def test_a_patient_prescribed_spo2_scale_2_is_scored_on_it(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """P2 has COPD with a target of 88-92 %: 86 % scores 3 on scale 1 and 1 on scale 2."""
    nurse = sign_in("home_care_nurse")

    def p2_news2() -> dict[str, object]:
        (p2,) = [
            p for p in client.get("/api/triage", headers=nurse).json() if p["patient_id"] == "P2"
        ]
        news2: dict[str, object] = p2["news2"]
        return news2

    assert (p2_news2()["scale"], p2_news2()["points"]) == (1, {"spo2": 3})
    scale_2 = {"spo2_scale": 2}
    answer = client.put("/api/patients/P2/spo2-scale", json=scale_2, headers=nurse)
    assert answer.status_code == 200 and answer.json() == scale_2
    assert (p2_news2()["scale"], p2_news2()["points"]) == (2, {"spo2": 1})
    refused = [
        client.put("/api/patients/P2/spo2-scale", json={"spo2_scale": 3}, headers=nurse),
        client.put("/api/patients/P9/spo2-scale", json=scale_2, headers=nurse),
        client.put("/api/patients/P2/spo2-scale", json=scale_2, headers=sign_in("night_nurse")),
    ]
    assert [r.status_code for r in refused] == [422, 404, 403]
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT action, detail FROM audit_log WHERE patient_id = 'P2'"
            " AND action = 'set_spo2_scale'"
        ).fetchall()
    assert rows == [("set_spo2_scale", {})], "the scale itself is health data: not in the log"


def test_an_admin_deactivates_a_user_and_her_sessions_end(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    admin = sign_in("admin")
    nurse = sign_in("home_care_nurse")
    name = next(
        u["username"]
        for u in client.get("/api/admin/users", headers=admin).json()
        if u["role"] == "home_care_nurse"
    )
    assert client.get("/api/triage", headers=nurse).status_code == 200
    off = client.patch(f"/api/admin/users/{name}", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert off.json()["open_sessions"] == 0
    assert client.get("/api/triage", headers=nurse).status_code == 401, "signed out everywhere"
    with psycopg.connect(database_url) as conn:
        create_user(conn, "nurse.moe", "home_care_nurse", "first password here")
    renewed = {"password": "second password here"}
    assert client.patch("/api/admin/users/nurse.moe", json=renewed, headers=admin).is_success
    old = {"username": "nurse.moe", "password": "first password here"}
    assert client.post("/api/auth/login", json=old).status_code == 401
    new = {"username": "nurse.moe", "password": "second password here"}
    assert client.post("/api/auth/login", json=new).status_code == 200
    me = client.get("/api/auth/me", headers=admin).json()["username"]
    refused = [
        client.patch(f"/api/admin/users/{me}", json={"active": False}, headers=admin),
        client.patch("/api/admin/users/nobody", json={"active": False}, headers=admin),
        client.patch("/api/admin/users/nurse.moe", json={}, headers=admin),
        client.patch("/api/admin/users/nurse.moe", json={"password": "short"}, headers=admin),
        client.patch("/api/admin/users/nurse.moe", json={"active": False}, headers=nurse),
    ]
    assert [r.status_code for r in refused] == [409, 404, 422, 422, 401]


def test_every_account_and_webhook_change_is_in_the_audit_log(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """An admin who gave a nurse's account a new password could sign in as her and read every
    patient, with only the nurse's name on the reads: who set it is on record now."""
    admin = sign_in("admin")
    me = client.get("/api/auth/me", headers=admin).json()["username"]
    made = {"username": "nurse.liv", "role": "home_care_nurse", "password": "a first password"}
    assert client.post("/api/admin/users", json=made, headers=admin).status_code == 201
    renewed = {"password": "a password I chose"}
    assert client.patch("/api/admin/users/nurse.liv", json=renewed, headers=admin).is_success
    hook = {"url": "https://example.org/hook", "audiences": ["home_care"]}
    assert client.post("/api/admin/webhooks", json=hook, headers=admin).status_code == 201
    entries = client.get("/api/admin/audit", headers=admin).json()
    changes = [(e["username"], e["action"], e["patient_id"]) for e in reversed(entries)]
    assert changes[-3:] == [
        (me, "user_created", None),
        (me, "user_changed", None),
        (me, "webhook_added", None),
    ]
    assert entries[1]["detail"] == {"user": "nurse.liv", "password_set": True}
    assert entries[0]["detail"]["url"] == "https://example.org/hook"
