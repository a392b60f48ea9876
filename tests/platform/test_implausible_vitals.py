"""A reading no living patient has (a body temperature of 8 °C from a faulty probe): ingest
refuses it with the reason, and one stored before it did cannot take the triage board down."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from direct_ingest import store
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.codecs.fhir import build_observation
from tilsyn.platform.api.app import create_app
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)


def _register(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for patient in ("P1", "P2"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
        register_hub(conn, HubIn(hub_id="hub-1", unit="Våler", patient_ids=["P1", "P2"]))


def _hub_message(entries: list[dict[str, object]]) -> tuple[str, bytes]:
    body = {"messageId": "m1", "hubId": "hub-1", "sentAt": NOW.isoformat(), "entries": entries}
    return "tilsyn/edge/hub-1/up", json.dumps(body).encode()


def test_ingest_refuses_a_temperature_no_patient_has(database_url: str, sign_in: SignIn) -> None:
    _register(database_url)
    good = build_observation("P1", "heart_rate", 72.0, NOW, observation_id="o1")
    faulty = build_observation("P1", "body_temperature", 37.0, NOW, observation_id="o2")
    faulty["valueQuantity"]["value"] = 8.0  # type: ignore[index]
    result = store(database_url, _hub_message([good, faulty]))
    assert (result.stored, result.dead_letters) == (1, 1), "the pulse stored, 8 °C set aside"
    with psycopg.connect(database_url) as conn:
        (reason,) = conn.execute("SELECT reason FROM dead_letters").fetchone() or ("",)
        stored = conn.execute("SELECT kind, value FROM vital_observations").fetchall()
    assert "body_temperature value 8.0 is outside 10..50" in reason
    assert stored == [("heart_rate", 72.0)]
    # The operator learns why, not the patients' measurements (her role may not read them).
    with TestClient(create_app(database_url)) as client:
        answer = client.get("/api/ingest/dead-letters", headers=sign_in("operator"))
    ((letter,),) = [answer.json()]
    assert letter["payload_withheld"] and "8.0 is outside" in letter["reason"]
    assert "Patient/" not in answer.text and letter["payload_base64"] == ""


def test_a_stored_impossible_temperature_leaves_the_triage_board_up(
    database_url: str, sign_in: SignIn
) -> None:
    _register(database_url)
    with psycopg.connect(database_url) as conn:
        conn.cursor().executemany(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, %s, %s, %s, %s, 'hub-1')",
            [
                (NOW - timedelta(minutes=5), "P1", "body_temperature", 8.0, "Cel"),
                (NOW - timedelta(minutes=4), "P1", "heart_rate", 135.0, "/min"),
                (NOW - timedelta(minutes=4), "P2", "heart_rate", 70.0, "/min"),
            ],
        )
    with TestClient(create_app(database_url)) as client:
        answer = client.get("/api/triage", headers=sign_in("home_care_nurse"))
    assert answer.status_code == 200, answer.text
    (p1,) = [p for p in answer.json() if p["patient_id"] == "P1"]
    assert p1["news2"]["points"] == {"pulse": 3}, "the pulse still scores"
    assert "temperature" in p1["news2"]["missing"]
