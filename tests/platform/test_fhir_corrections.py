"""A corrected or amended Observation from a hub replaces the stored one with the same id, so
the triage board, the FHIR API, the daily rollup and the alert rules all see one value; the FHIR
API says it is a correction. An original that comes after its correction is set aside, not
stored beside it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from direct_ingest import classifier_for, store
from fastapi.testclient import TestClient
from fix_auth import SignIn
from registry_seed import hub_message

from tilsyn.codecs.fhir import build_observation
from tilsyn.mqtt import Message
from tilsyn.platform.alerts.engine import AlertEngine
from tilsyn.platform.api.app import create_app
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.service import IngestStats
from tilsyn.platform.ingest.tables import VITAL_OBSERVATIONS
from tilsyn.platform.ingest.writer import BatchResult
from tilsyn.platform.patients.state import triage_board
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
TAKEN = NOW - timedelta(minutes=30)


@pytest.fixture
def registered(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        for patient in ("P-1", "P-2"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
            conn.execute(
                "INSERT INTO patient_thresholds VALUES (%s, 'spo2', 94, NULL, 90, NULL)",
                (patient,),
            )
        register_hub(conn, HubIn(hub_id="hub-17", unit="Våler", patient_ids=["P-1", "P-2"]))
    return database_url


@pytest.fixture
def client(registered: str) -> Iterator[TestClient]:
    with TestClient(create_app(registered)) as test_client:
        yield test_client


def _observation(
    kind: str,
    value: float | tuple[float, float],
    status: str = "final",
    patient: str = "P-1",
    observation_id: str = "obs-1",
    taken: datetime = TAKEN,
) -> dict[str, Any]:
    doc = build_observation(patient, kind, value, taken, observation_id=observation_id)
    return {**doc, "status": status}


def _message(message_id: str, *entries: dict[str, Any]) -> tuple[str, bytes]:
    return hub_message("hub-17", message_id, NOW, *entries)


def _stored(url: str, patient: str = "P-1") -> list[tuple[str, float]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT kind, value FROM vital_observations WHERE patient_id = %s ORDER BY kind",
            (patient,),
        ).fetchall()
    return [(kind, value) for kind, value in rows]


def _board_spo2(url: str) -> tuple[float, str | None]:
    with psycopg.connect(url) as conn:
        board = {p.patient_id: p for p in triage_board(conn, NOW)}
    (spo2,) = [v for v in board["P-1"].latest if v.kind == "spo2"]
    return spo2.value, spo2.colour


def _fhir_spo2(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    bundle = client.get(
        "/fhir/Observation", params={"patient": "P-1", "code": "59408-5"}, headers=headers
    ).json()
    return [entry["resource"] for entry in bundle["entry"]]


def _fhir_values(client: TestClient, headers: dict[str, str]) -> list[float]:
    return [resource["valueQuantity"]["value"] for resource in _fhir_spo2(client, headers)]


def _dead_letters(url: str) -> list[tuple[str, bytes]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT reason, payload FROM dead_letters ORDER BY id").fetchall()
    return [(reason, bytes(payload)) for reason, payload in rows]


def _handed_to_observers(result: BatchResult) -> list[tuple[str, float]]:
    """The vital-sign values the alert engine and other observers are given."""
    return [
        (row[2], row[3])
        for outcome in result.fresh
        for table, rows in outcome.rows
        if table == VITAL_OBSERVATIONS
        for row in rows
    ]


@pytest.mark.parametrize("status", ["corrected", "amended"])
def test_a_correction_replaces_the_wrong_value_for_every_reader(
    registered: str, client: TestClient, sign_in: SignIn, status: str
) -> None:
    store(registered, _message("m-1", _observation("spo2", 78)))
    assert _board_spo2(registered) == (78, "red")
    store(registered, _message("m-2", _observation("spo2", 96, status)))
    assert _stored(registered) == [("spo2", 96.0)]
    assert _board_spo2(registered) == (96, "green")
    assert _fhir_values(client, sign_in("home_care_nurse")) == [96]
    with psycopg.connect(registered) as conn:
        rollup = conn.execute(
            "SELECT readings, value_min, value_max FROM vitals_daily WHERE patient_id = 'P-1'"
        ).fetchall()
        pending = conn.execute("SELECT count(*) FROM vital_observation_corrections").fetchone()
    assert rollup == [(1, 96.0, 96.0)], "the daily rollup counts the corrected value once"
    assert pending == (0,)


def test_a_correction_in_the_same_batch_wins_whichever_comes_first(registered: str) -> None:
    correction = _message("m-2", _observation("spo2", 96, "corrected"))
    store(registered, correction, _message("m-1", _observation("spo2", 78)))
    assert _stored(registered) == [("spo2", 96.0)]


def test_a_correction_whose_original_never_came_is_simply_stored(registered: str) -> None:
    store(registered, _message("m-2", _observation("heart_rate", 71, "corrected")))
    assert _stored(registered) == [("heart_rate", 71.0)]


def test_a_blood_pressure_correction_replaces_both_rows(registered: str) -> None:
    store(registered, _message("m-1", _observation("blood_pressure", (182, 121))))
    store(registered, _message("m-2", _observation("blood_pressure", (132, 81), "amended")))
    assert _stored(registered) == [("diastolic_bp", 81.0), ("systolic_bp", 132.0)]


def test_a_correction_leaves_other_patients_and_kinds_with_the_same_id(registered: str) -> None:
    """Ids are the hub's: another patient's, or another kind's, "obs-1" is another reading."""
    store(
        registered,
        _message(
            "m-1",
            _observation("spo2", 78),
            _observation("heart_rate", 64),
            _observation("spo2", 88, patient="P-2"),
        ),
    )
    store(registered, _message("m-2", _observation("spo2", 96, "corrected")))
    assert _stored(registered) == [("heart_rate", 64.0), ("spo2", 96.0)]
    assert _stored(registered, "P-2") == [("spo2", 88.0)]


def test_a_final_observation_sent_again_is_not_taken_for_a_correction(registered: str) -> None:
    store(registered, _message("m-1", _observation("spo2", 78)))
    store(registered, _message("m-2", _observation("spo2", 79)))
    assert _stored(registered) == [("spo2", 78.0), ("spo2", 79.0)]


def test_the_alert_rules_are_handed_the_corrected_value(registered: str) -> None:
    """The engine watches `vital_observations` rows of what was stored: the correction's
    rows must be among them, not only in the corrections table."""
    topic, payload = _message("m-2", _observation("spo2", 96, "corrected"))
    outcome = classifier_for(registered).classify(Message(topic, payload, 1, 0, 0.0))
    assert isinstance(outcome, Accepted)
    tables = {table.name: rows for table, rows in outcome.rows}
    assert VITAL_OBSERVATIONS in {table for table, _ in outcome.rows}
    assert [row[3] for row in tables["vital_observations"]] == [96.0]
    assert [row[3] for row in tables["vital_observation_corrections"]] == [96.0]


@pytest.mark.parametrize("status", ["corrected", "amended"])
def test_the_fhir_api_gives_a_correction_its_status(
    registered: str, client: TestClient, sign_in: SignIn, status: str
) -> None:
    store(registered, _message("m-1", _observation("spo2", 78)))
    store(registered, _message("m-2", _observation("spo2", 96, status)))
    headers = sign_in("home_care_nurse")
    [found] = _fhir_spo2(client, headers)
    assert (found["valueQuantity"]["value"], found["status"]) == (96, status)
    read = client.get(f"/fhir/Observation/{found['id']}", headers=headers).json()
    assert read["status"] == status


def test_an_original_after_its_correction_is_set_aside_not_stored(
    registered: str, client: TestClient, sign_in: SignIn
) -> None:
    store(registered, _message("m-2", _observation("spo2", 96, "corrected")))
    late = _message("m-1", _observation("spo2", 78))
    result = store(registered, late)
    assert _stored(registered) == [("spo2", 96.0)]
    assert _board_spo2(registered) == (96, "green")
    assert _fhir_values(client, sign_in("home_care_nurse")) == [96]
    assert (result.superseded, result.dead_letters) == (1, 1)
    stats = IngestStats()
    stats.add(result)
    assert (stats.superseded, stats.dead_letters) == (1, 1)
    assert _dead_letters(registered) == [
        (
            "superseded: entry 0: Observation obs-1 of patient P-1 came after its correction,"
            " which stands; this original is not stored",
            late[1],
        )
    ]
    # A reading more than a day from the correction is another reading, as for the trigger.
    two_days_before = _observation("spo2", 95, taken=TAKEN - timedelta(days=2))
    store(registered, _message("m-3", two_days_before))
    assert sorted(_stored(registered)) == [("spo2", 95.0), ("spo2", 96.0)]


def test_the_operator_sees_a_superseded_original_without_the_patient(
    registered: str, client: TestClient, sign_in: SignIn
) -> None:
    store(registered, _message("m-2", _observation("spo2", 96, "amended")))
    store(registered, _message("m-1", _observation("spo2", 78)))
    [item] = client.get("/api/ingest/dead-letters", headers=sign_in("operator")).json()
    assert item["reason"].startswith("superseded: entry 0: Observation obs-1 of patient <withheld>")


def test_a_late_original_raises_no_alert(registered: str) -> None:
    """The correction (96 %) stands, so the late original's 78 % must not alert anyone."""
    store(registered, _message("m-2", _observation("spo2", 96, "corrected")))
    result = store(registered, _message("m-1", _observation("spo2", 78)))
    engine = AlertEngine(registered, periodic_seconds=3600)
    engine.start()
    engine.observe(result.fresh, 0.0)
    engine.stop()
    with psycopg.connect(registered) as conn:
        alerts = conn.execute(
            "SELECT rule FROM alerts WHERE entity_id = 'P-1' AND state <> 'resolved'"
        ).fetchall()
    assert alerts == []


def test_a_late_original_in_the_batch_of_its_correction_reaches_no_observer(
    registered: str,
) -> None:
    correction = _message("m-2", _observation("spo2", 96, "corrected"))
    result = store(registered, correction, _message("m-1", _observation("spo2", 78)))
    assert _stored(registered) == [("spo2", 96.0)]
    assert _handed_to_observers(result) == [("spo2", 96.0)]
    assert result.superseded == 1


def test_the_other_entries_of_a_message_with_a_late_original_are_stored(registered: str) -> None:
    store(registered, _message("m-2", _observation("spo2", 96, "corrected")))
    pulse = _observation("heart_rate", 64, observation_id="obs-2")
    result = store(registered, _message("m-1", pulse, _observation("spo2", 78)))
    assert _stored(registered) == [("heart_rate", 64.0), ("spo2", 96.0)]
    assert _handed_to_observers(result) == [("heart_rate", 64.0)]
    [(reason, _)] = _dead_letters(registered)
    assert reason.startswith("superseded: entry 1: Observation obs-1 of patient P-1")
    assert reason.endswith("(the message's other entries are stored)")


def test_a_late_blood_pressure_original_is_set_aside_whole(registered: str) -> None:
    store(registered, _message("m-2", _observation("blood_pressure", (132, 81), "amended")))
    store(registered, _message("m-1", _observation("blood_pressure", (182, 121))))
    assert _stored(registered) == [("diastolic_bp", 81.0), ("systolic_bp", 132.0)]
    with psycopg.connect(registered) as conn:
        statuses = conn.execute("SELECT DISTINCT status FROM vital_observations").fetchall()
    assert statuses == [("amended",)]
