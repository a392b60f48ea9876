"""The plan's instructions for a red or a yellow reading, set by home care, and the patient's
questionnaire answers, read by home care: audited, bounded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn
from psycopg.types.json import Jsonb

from tilsyn.platform.api.app import create_app
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration

PLAN = {"red": "Use your rescue pack and call 113", "yellow": "Rest and measure again in 1 h"}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
    with TestClient(create_app(database_url)) as test_client:
        yield test_client


def test_instructions_are_set_read_back_and_audited(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    nurse = sign_in("home_care_nurse")
    assert client.get("/api/patients/P1/instructions", headers=nurse).json() == {
        "red": "",
        "yellow": "",
    }
    saved = client.put(
        "/api/patients/P1/instructions", json={**PLAN, "red": f"  {PLAN['red']} "}, headers=nurse
    )
    assert saved.status_code == 200, saved.text
    assert client.get("/api/patients/P1/instructions", headers=nurse).json() == PLAN
    with psycopg.connect(database_url) as conn:
        actions = [
            r[0]
            for r in conn.execute(
                "SELECT action FROM audit_log WHERE patient_id = 'P1' ORDER BY id"
            )
        ]
    assert actions == ["read_instructions", "set_instructions", "read_instructions"]


def test_instructions_too_long_or_from_another_role_are_refused(
    client: TestClient, sign_in: SignIn
) -> None:
    nurse = sign_in("home_care_nurse")
    long = client.put("/api/patients/P1/instructions", json={"red": "x" * 501}, headers=nurse)
    assert long.status_code == 422 and "500 characters" in long.text
    for role in ("night_nurse", "operator", "admin"):
        answer = client.put("/api/patients/P1/instructions", json=PLAN, headers=sign_in(role))
        assert answer.status_code == 403, role
    assert (
        client.put("/api/patients/NOPE/instructions", json=PLAN, headers=nurse).status_code == 404
    )
    assert client.get("/api/patients/P1/instructions", headers=nurse).json()["red"] == ""


def test_questionnaire_answers_are_read_newest_first_within_the_days_asked(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        for days_ago, breathless in ((1, "worse"), (3, "same"), (20, "much_worse")):
            conn.execute(
                "INSERT INTO questionnaire_answers (time, patient_id, questionnaire, answers,"
                " hub_id) VALUES (%s, 'P1', 'copd-daily', %s, 'h')",
                (
                    now - timedelta(days=days_ago),
                    Jsonb({"breathlessness": breathless, "feeling_unwell": days_ago == 1}),
                ),
            )
    nurse = sign_in("home_care_nurse")
    answered = client.get("/api/patients/P1/answers?days=14", headers=nurse).json()
    assert [a["answers"] for a in answered] == [
        {"breathlessness": "worse", "feeling_unwell": True},
        {"breathlessness": "same", "feeling_unwell": False},
    ]
    assert answered[0]["questionnaire"] == "copd-daily"
    assert client.get("/api/patients/P1/answers", headers=sign_in("night_nurse")).status_code == 403
    with psycopg.connect(database_url) as conn:
        audited = conn.execute(
            "SELECT count(*) FROM audit_log WHERE patient_id = 'P1' AND action = 'read_answers'"
        ).fetchone()
    assert audited == (1,)
