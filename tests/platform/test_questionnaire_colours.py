"""The questionnaires' answer colours over HTTP: set by home care, refused when they contradict
themselves, and used at once to colour a patient's answers."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn
from psycopg.types.json import Jsonb
from registry_seed import COPD_COLOURS

from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration

COPD = COPD_COLOURS.model_dump(exclude={"questionnaire"})


@pytest.fixture(autouse=True)
def p1_answered(database_url: str) -> None:
    """P1 said "much worse" and "not unwell" to the COPD questionnaire."""
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
        conn.execute(
            "INSERT INTO questionnaire_answers (time, patient_id, questionnaire, answers,"
            " response_id, hub_id) VALUES (%s, 'P1', 'copd-daily', %s, 'r1', 'h')",
            (datetime.now(UTC), Jsonb({"breathlessness": "much_worse", "feeling_unwell": False})),
        )


def test_home_care_sets_the_colours_and_the_answers_are_read_by_them(
    client: TestClient, sign_in: SignIn
) -> None:
    nurse = sign_in("home_care_nurse")
    (before,) = client.get("/api/patients/P1/answers", headers=nurse).json()
    assert (before["colour"], before["reason"]) == (None, "no colours set for this questionnaire")
    saved = client.put("/api/questionnaires/copd-daily", json=COPD, headers=nurse)
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"questionnaire": "copd-daily", **COPD}
    assert client.get("/api/questionnaires", headers=nurse).json() == [saved.json()]
    (after,) = client.get("/api/patients/P1/answers", headers=nurse).json()
    assert (after["colour"], after["reason"]) == ("red", "breathlessness: much worse (red)")
    (patient,) = client.get("/api/triage", headers=nurse).json()
    assert patient["colour"] == "red"
    assert patient["answers"][0]["colour"] == "red"
    audit = client.get("/api/admin/audit", headers=sign_in("admin")).json()
    assert {"action": "set_questionnaire_colours", "patient_id": None} in [
        {k: a[k] for k in ("action", "patient_id")} for a in audit
    ]
    with_detail = [a for a in audit if a["action"] == "set_questionnaire_colours"]
    assert with_detail[0]["detail"] == {"questionnaire": "copd-daily"}


def test_a_second_put_replaces_the_colours(client: TestClient, sign_in: SignIn) -> None:
    nurse = sign_in("home_care_nurse")
    client.put("/api/questionnaires/copd-daily", json=COPD, headers=nurse)
    milder = {"questions": [{"link_id": "breathlessness", "green": ["same", "much_worse"]}]}
    assert client.put("/api/questionnaires/copd-daily", json=milder, headers=nurse).is_success
    (answers,) = client.get("/api/patients/P1/answers", headers=nurse).json()
    assert answers["colour"] == "green"


@pytest.mark.parametrize(
    ("role", "method", "expected"),
    [
        ("operator", "get", 403),
        ("night_nurse", "get", 403),
        ("admin", "put", 403),
        ("night_nurse", "put", 403),
        ("home_care_nurse", "get", 200),
    ],
)
def test_only_home_care_reads_and_sets_the_colours(
    client: TestClient, sign_in: SignIn, role: str, method: str, expected: int
) -> None:
    if method == "get":
        answer = client.get("/api/questionnaires", headers=sign_in(role))
    else:
        answer = client.put("/api/questionnaires/copd-daily", json=COPD, headers=sign_in(role))
    assert answer.status_code == expected


@pytest.mark.parametrize(
    ("name", "body", "said"),
    [
        (
            "copd-daily",
            {"questions": [{"link_id": "cough", "green": ["same"], "red": ["same"]}]},
            "cough: the answer same is both green and red",
        ),
        (
            "copd-daily",
            {"questions": [{"link_id": "cough", "green": ["a"]}, {"link_id": "cough"}]},
            "cough: no answer is given a colour",
        ),
        ("copd-daily", {"questions": []}, "at least 1 item"),
        ("copd daily", COPD, "should match pattern"),
        ("copd-daily", {**COPD, "title": "COPD"}, "Extra inputs"),
    ],
)
def test_colours_that_cannot_be_read_are_refused_with_the_reason(
    client: TestClient, sign_in: SignIn, name: str, body: dict[str, object], said: str
) -> None:
    nurse = sign_in("home_care_nurse")
    refused = client.put(f"/api/questionnaires/{name}", json=body, headers=nurse)
    assert refused.status_code == 422
    assert said in refused.text
    assert client.get("/api/questionnaires", headers=nurse).json() == []


def _answer(
    database_url: str, patient: str, questionnaire: str, answers: dict, days_ago: int
) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO questionnaire_answers (time, patient_id, questionnaire, answers,"
            " response_id, hub_id) VALUES (now() - make_interval(days => %s), %s, %s, %s,"
            " NULL, 'h')",
            (days_ago, patient, questionnaire, Jsonb(answers)),
        )


def test_the_questionnaires_answered_lately_show_what_no_colour_judges(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    nurse = sign_in("home_care_nurse")
    client.put("/api/questionnaires/copd-daily", json=COPD, headers=nurse)
    with psycopg.connect(database_url) as conn:
        for patient in ("P2", "P3"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
    # A new version of the COPD questionnaire asks about sputum; a heart questionnaire has no
    # colours at all; an answer set older than the window is left out.
    _answer(database_url, "P2", "copd-daily", {"breathlessness": "same", "sputum": "green"}, 1)
    _answer(database_url, "P2", "heart-weekly", {"ankles_swollen": True}, 2)
    _answer(database_url, "P3", "heart-weekly", {"ankles_swollen": False, "dizzy": False}, 3)
    _answer(database_url, "P3", "heart-weekly", {"chest_pain": True}, 40)
    answered = client.get("/api/questionnaires/answered", headers=nurse)
    assert answered.status_code == 200, answered.text
    summary = {
        q["questionnaire"]: (
            q["coloured"],
            q["answer_sets"],
            q["patients"],
            q["questions"],
            q["uncoloured_questions"],
        )
        for q in answered.json()
    }
    assert summary == {
        "copd-daily": (True, 2, 2, ["breathlessness", "feeling_unwell", "sputum"], ["sputum"]),
        "heart-weekly": (False, 2, 2, ["ankles_swollen", "dizzy"], ["ankles_swollen", "dizzy"]),
    }
    longer = client.get("/api/questionnaires/answered?days=60", headers=nurse).json()
    heart = next(q for q in longer if q["questionnaire"] == "heart-weekly")
    assert (heart["answer_sets"], heart["uncoloured_questions"]) == (
        3,
        ["ankles_swollen", "chest_pain", "dizzy"],
    )
    # Once coloured, the heart questionnaire's coloured question leaves the list.
    heart_colours = {"questions": [{"link_id": "ankles_swollen", "green": [False], "red": [True]}]}
    assert client.put(
        "/api/questionnaires/heart-weekly", json=heart_colours, headers=nurse
    ).is_success
    after = {
        q["questionnaire"]: q
        for q in client.get("/api/questionnaires/answered", headers=nurse).json()
    }
    assert (after["heart-weekly"]["coloured"], after["heart-weekly"]["uncoloured_questions"]) == (
        True,
        ["dizzy"],
    )


@pytest.mark.parametrize("role", ["operator", "night_nurse", "admin"])
def test_only_home_care_sees_what_is_answered(
    client: TestClient, sign_in: SignIn, role: str
) -> None:
    assert client.get("/api/questionnaires/answered", headers=sign_in(role)).status_code == 403


def test_reading_what_is_answered_names_no_patient_and_is_not_a_patient_read(
    client: TestClient, sign_in: SignIn
) -> None:
    answered = client.get("/api/questionnaires/answered", headers=sign_in("home_care_nurse"))
    assert "P1" not in answered.text and "much_worse" not in answered.text
    audit = client.get("/api/admin/audit", headers=sign_in("admin")).json()
    assert [a for a in audit if a["patient_id"] == "P1"] == []
