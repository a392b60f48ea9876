"""The care team sets when each patient measures what and answers which questionnaire; a missed
task raises a warning, and the clock rules stand up to a row they cannot read and to devices
that never reported."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.platform.alerts import periodic
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.api.app import create_app
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.registry.models import DispenserIn, PatientIn, WardIn, ZoneIn
from tilsyn.platform.registry.store import register_dispenser, register_patient, register_ward

pytestmark = pytest.mark.integration

NOON = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # 12:00 in Oslo
WEIGHT_AND_BP = [
    {"kind": "body_weight", "times": ["08:00"], "timezone": "Europe/Oslo"},
    {"kind": "systolic_bp", "times": ["20:00", "08:30"], "timezone": "Europe/Oslo"},
]
COPD_DAILY = {"questionnaire": "copd-daily", "times": ["10:00"], "weekdays": [5, 1]}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        for patient in ("P1", "P2"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
    with TestClient(create_app(database_url)) as test_client:
        yield test_client


def test_a_schedule_set_by_home_care_is_read_back_and_both_are_audited(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    nurse = sign_in("home_care_nurse")
    assert client.get("/api/patients/P1/schedule", headers=nurse).json() == []
    body = [COPD_DAILY, *WEIGHT_AND_BP]
    saved = client.put("/api/patients/P1/schedule", json=body, headers=nurse)
    assert saved.status_code == 200, saved.text
    read = client.get("/api/patients/P1/schedule", headers=nurse).json()
    oslo = {"timezone": "Europe/Oslo", "weekdays": None, "questionnaire": None}
    assert read == [
        {"kind": "body_weight", "times": ["08:00"], **oslo},
        {"kind": "systolic_bp", "times": ["08:30", "20:00"], **oslo},
        {
            "kind": None,
            "questionnaire": "copd-daily",
            "times": ["10:00"],
            "timezone": "Europe/Oslo",
            "weekdays": [1, 5],
        },
    ], "measurements by kind, then questionnaires"
    assert client.get("/api/patients/P2/schedule", headers=nurse).json() == []
    cleared = client.put("/api/patients/P1/schedule", json=[], headers=nurse)
    assert cleared.status_code == 200
    assert client.get("/api/patients/P1/schedule", headers=nurse).json() == []
    with psycopg.connect(database_url) as conn:
        actions = conn.execute(
            "SELECT action, detail FROM audit_log WHERE patient_id = 'P1' ORDER BY id"
        ).fetchall()
    assert [a for a, _ in actions] == [
        "read_schedule",
        "set_schedule",
        "read_schedule",
        "set_schedule",
        "read_schedule",
    ]
    assert actions[1][1] == {"tasks": ["questionnaire:copd-daily", "body_weight", "systolic_bp"]}


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ([{"kind": "body_weight", "times": ["8 am"]}], "is not a clock time"),
        ([{"kind": "body_weight", "times": ["08:00:30"]}], "is not a clock time"),
        ([{"kind": "body_weight", "times": ["08:00", "08:00"]}], "the same time twice"),
        ([{"kind": "body_weight", "times": []}], "at least 1 item"),
        ([{"kind": "blood_pressure", "times": ["08:00"]}], "body_weight"),
        ([{"kind": "spo2", "times": ["08:00"], "timezone": "Mars/Olympus"}], "unknown time zone"),
        (
            [{"kind": "spo2", "times": ["08:00"]}, {"kind": "spo2", "times": ["20:00"]}],
            "one entry per measurement or questionnaire; twice: SpO2",
        ),
        (
            [COPD_DAILY, {**COPD_DAILY, "times": ["18:00"]}],
            "twice: Questionnaire copd-daily",
        ),
        ([{"times": ["08:00"]}], "either a kind of measurement or a questionnaire"),
        (
            [{"kind": "spo2", "questionnaire": "copd-daily", "times": ["08:00"]}],
            "either a kind of measurement or a questionnaire",
        ),
        ([{**COPD_DAILY, "questionnaire": "copd daily"}], "should match pattern"),
        ([{"kind": "spo2", "times": ["08:00"], "weekdays": []}], "no weekday"),
        ([{"kind": "spo2", "times": ["08:00"], "weekdays": [0, 3]}], "1 (Monday) to 7"),
        ([{"kind": "spo2", "times": ["08:00"], "weekdays": [3, 3]}], "the same weekday twice"),
    ],
)
def test_a_schedule_that_cannot_be_kept_is_refused_saying_why(
    client: TestClient, sign_in: SignIn, body: list[dict[str, object]], said: str
) -> None:
    nurse = sign_in("home_care_nurse")
    client.put("/api/patients/P1/schedule", json=WEIGHT_AND_BP, headers=nurse)
    answer = client.put("/api/patients/P1/schedule", json=body, headers=nurse)
    assert answer.status_code == 422
    assert said in answer.text
    kinds = [t["kind"] for t in client.get("/api/patients/P1/schedule", headers=nurse).json()]
    assert kinds == ["body_weight", "systolic_bp"], "a refused schedule changes nothing"


def test_only_home_care_sets_a_schedule_and_for_a_patient_that_exists(
    client: TestClient, sign_in: SignIn
) -> None:
    for role in ("night_nurse", "operator", "admin"):
        answer = client.put("/api/patients/P1/schedule", json=WEIGHT_AND_BP, headers=sign_in(role))
        assert answer.status_code == 403, role
    nurse = sign_in("home_care_nurse")
    assert client.put("/api/patients/NOPE/schedule", json=[], headers=nurse).status_code == 404


def test_a_schedule_set_over_the_api_raises_a_missed_measurement_warning(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    nurse = sign_in("home_care_nurse")
    client.put("/api/patients/P1/schedule", json=WEIGHT_AND_BP[:1], headers=nurse)
    with psycopg.connect(database_url) as conn:
        _set_since(conn, NOON - timedelta(days=1))
        (signal,) = periodic.missed_tasks(conn, NOON)
    assert (signal.entity_id, signal.rule, signal.active) == ("P1", "missed:body_weight", True)
    assert "Weight due Fri 2026-11-20 08:00 not measured by 11:00" in signal.title


def test_a_questionnaire_not_answered_raises_a_warning_until_it_is_answered(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    nurse = sign_in("home_care_nurse")
    # Due Friday 20 November 2026, 10:00 in Oslo, until 13:00; another questionnaire's answers
    # do not count.
    client.put("/api/patients/P1/schedule", json=[COPD_DAILY], headers=nurse)
    with psycopg.connect(database_url) as conn:
        _set_since(conn, NOON - timedelta(hours=3))
        _answer(conn, "heart-weekly", NOON - timedelta(hours=2))
        (signal,) = periodic.missed_tasks(conn, NOON + timedelta(minutes=59))
        assert (signal.rule, signal.active) == ("missed:questionnaire:copd-daily", False)
        (signal,) = periodic.missed_tasks(conn, NOON + timedelta(hours=1))
        assert (signal.rule, signal.active) == ("missed:questionnaire:copd-daily", True)
        assert signal.title == (
            "Questionnaire copd-daily due Fri 2026-11-20 10:00 not answered by 13:00"
        )
        _answer(conn, "copd-daily", NOON + timedelta(hours=3))
        (signal,) = periodic.missed_tasks(conn, NOON + timedelta(hours=4))
        assert not signal.active and signal.title == "answered as planned"
        # Answered within the window: the next Monday's slot is met.
        _answer(conn, "copd-daily", NOON + timedelta(days=3, hours=-2))
        (signal,) = periodic.missed_tasks(conn, NOON + timedelta(days=3, hours=3))
        assert not signal.active


def test_a_task_is_judged_from_when_it_was_set_and_keeps_that_when_another_changes(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    nurse = sign_in("home_care_nurse")
    set_at = datetime.now(UTC)
    client.put("/api/patients/P1/schedule", json=WEIGHT_AND_BP[:1], headers=nurse)
    with psycopg.connect(database_url) as conn:
        (since,) = conn.execute("SELECT since FROM patient_schedules").fetchone() or ()
        assert set_at <= since <= datetime.now(UTC)
        # Weight at 08:00, set at 13:00 Oslo: first due the next morning.
        _set_since(conn, NOON + timedelta(hours=1))
        (signal,) = periodic.missed_tasks(conn, NOON + timedelta(hours=6))
        assert not signal.active, "this morning's slot passed before the task was set"
        next_day = NOON + timedelta(days=1)
        (signal,) = periodic.missed_tasks(conn, next_day)
        assert signal.active and "due Sat 2026-11-21 08:00" in signal.title
    # Another task added, the weight unchanged: its warning stands.
    client.put("/api/patients/P1/schedule", json=[*WEIGHT_AND_BP[:1], COPD_DAILY], headers=nurse)
    with psycopg.connect(database_url) as conn:
        weight = {s.rule: s for s in periodic.missed_tasks(conn, next_day)}["missed:body_weight"]
        assert weight.active
    # The weight moved to 09:00: judged afresh from now.
    moved = [{**WEIGHT_AND_BP[0], "times": ["09:00"]}]
    client.put("/api/patients/P1/schedule", json=moved, headers=nurse)
    with psycopg.connect(database_url) as conn:
        (signal,) = periodic.missed_tasks(conn, next_day)
        assert not signal.active


def test_a_task_taken_off_the_schedule_takes_its_warning_with_it(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    nurse = sign_in("home_care_nurse")
    client.put("/api/patients/P1/schedule", json=[*WEIGHT_AND_BP[:1], COPD_DAILY], headers=nurse)
    with psycopg.connect(database_url) as conn:
        _set_since(conn, NOON - timedelta(days=1))
        apply_signals(conn, periodic.missed_tasks(conn, NOON + timedelta(hours=2)))
        assert _open_missed(conn) == ["missed:body_weight", "missed:questionnaire:copd-daily"]
    client.put("/api/patients/P1/schedule", json=WEIGHT_AND_BP[:1], headers=nurse)
    with psycopg.connect(database_url) as conn:
        apply_signals(conn, periodic.missed_tasks(conn, NOON + timedelta(hours=2)))
        assert _open_missed(conn) == ["missed:body_weight"], "the questionnaire's is cleared"
        (title,) = (
            conn.execute(
                "SELECT title FROM alerts WHERE rule = 'missed:questionnaire:copd-daily'"
            ).fetchone()
            or ()
        )
        assert "not answered" in title, "the warning as it was, now resolved"


def _open_missed(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT rule FROM alerts WHERE rule LIKE 'missed:%' AND state <> 'resolved' ORDER BY rule"
    ).fetchall()
    return [rule for (rule,) in rows]


def _set_since(conn: psycopg.Connection, at: datetime) -> None:
    conn.execute("UPDATE patient_schedules SET since = %s WHERE patient_id = 'P1'", (at,))


def _answer(conn: psycopg.Connection, questionnaire: str, at: datetime) -> None:
    conn.execute(
        "INSERT INTO questionnaire_answers (time, patient_id, questionnaire, answers, hub_id)"
        " VALUES (%s, 'P1', %s, '{}', 'hub-1')",
        (at, questionnaire),
    )


def test_a_schedule_row_no_rule_can_read_spoils_no_other_patients_warning(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    client.put(
        "/api/patients/P1/schedule", json=WEIGHT_AND_BP[:1], headers=sign_in("home_care_nurse")
    )
    with psycopg.connect(database_url) as conn:
        _set_since(conn, NOON - timedelta(days=1))
        # Written past the API: the simulator's plans call the pair "blood_pressure".
        conn.execute(
            "INSERT INTO patient_schedules (patient_id, kind, times)"
            " VALUES ('P2', 'blood_pressure', '{08:00}')"
        )
        signals = periodic.missed_tasks(conn, NOON)
    assert [(s.entity_id, s.rule, s.active) for s in signals] == [
        ("P1", "missed:body_weight", True)
    ]


def test_a_dispenser_or_container_that_never_reported_is_flagged_once_overdue(
    database_url: str,
) -> None:
    with psycopg.connect(database_url) as conn:
        zone = ZoneIn(zone_id=1, room_id="101", zone_type="patient_zone")
        register_ward(conn, WardIn(ward_id="M1", name="Medical 1", zones=[zone]))
        for number, dev_eui in enumerate(("a1", "a2"), start=1):
            register_dispenser(
                conn,
                DispenserIn(
                    dev_eui=dev_eui.ljust(16, "0"),
                    ward_id="M1",
                    dispenser_id=number,
                    zone_id=1,
                    room_id="101",
                ),
            )
            register_container(
                conn,
                ContainerIn(
                    container_id=f"C{number}",
                    dev_eui=dev_eui.ljust(16, "1"),
                    waste_kind="glass",
                    capacity_litres=2500,
                    empty_distance_mm=1800,
                    full_distance_mm=300,
                    latitude=56.13,
                    longitude=8.95,
                ),
            )
        # The first of each was installed a day ago, the second just now.
        day_ago = datetime.now(UTC) - timedelta(days=1)
        conn.execute(
            "UPDATE devices SET registered_at = %s WHERE device_id LIKE 'a1%%'", (day_ago,)
        )
        conn.execute(
            "UPDATE containers SET registered_at = %s WHERE container_id = 'C1'", (day_ago,)
        )
        now = datetime.now(UTC)
        dispensers = {s.entity_id: s for s in periodic.offline_dispensers(conn, now)}
        containers = {s.entity_id: s for s in periodic.silent_containers(conn, now)}
    assert dispensers["a100000000000000"].active
    assert dispensers["a100000000000000"].title == "Dispenser M1/1 offline"
    assert not dispensers["a200000000000000"].active
    assert containers["C1"].active
    assert containers["C1"].title == "Container C1 has not reported since it was registered"
    assert not containers["C2"].active


def test_a_weekly_task_is_kept_with_its_weekdays_and_warned_about_for_a_week(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """Weight on Mondays, not measured on Monday 16 November: the warning stays up through the
    week (the rule looked back two days only), and a task due every day is stored as such."""
    nurse = sign_in("home_care_nurse")
    tasks = [
        {"kind": "body_weight", "times": ["08:00"], "weekdays": [1]},
        {"kind": "spo2", "times": ["09:00"], "weekdays": [7, 1, 2, 3, 4, 5, 6]},
    ]
    saved = client.put("/api/patients/P1/schedule", json=tasks, headers=nurse)
    assert saved.status_code == 200, saved.text
    read = client.get("/api/patients/P1/schedule", headers=nurse).json()
    assert [(t["kind"], t["weekdays"]) for t in read] == [("body_weight", [1]), ("spo2", None)]
    friday = NOON  # Friday 20 November 2026
    with psycopg.connect(database_url) as conn:
        _set_since(conn, friday - timedelta(days=7))
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, 'P1', 'spo2', 96, '%%', 'h')",
            (friday - timedelta(hours=3),),
        )
        signals = {s.rule: s for s in periodic.missed_tasks(conn, friday)}
        weight = signals["missed:body_weight"]
        assert weight.active
        assert "Weight due Mon 2026-11-16 08:00 not measured by 11:00" in weight.title
        # Not due on Tuesday to Sunday: nothing more is missed, the one warning stays.
        assert weight.detail == {"missed": 1}
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, 'P1', 'body_weight', 81, 'kg', 'h')",
            (friday - timedelta(hours=1),),
        )
        later = {s.rule: s for s in periodic.missed_tasks(conn, friday)}
    assert not later["missed:body_weight"].active, "measured since: cleared"
