"""The ingest problem lists (quarantine, dead letters) are read by operators and admins, who may
read neither hygiene data nor patients: a badge's or dispenser's uplink is listed with its
reason but without its payload, and a hub's reason names no patient."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from direct_ingest import store
from fastapi.testclient import TestClient
from fix_auth import SignIn
from lorawan import chirpstack_uplink

from tilsyn.codecs import encode
from tilsyn.codecs.fhir import build_observation
from tilsyn.platform.api.app import create_app
from tilsyn.platform.registry.models import BadgeIn, HubIn, PatientIn, WardIn
from tilsyn.platform.registry.store import (
    register_badge,
    register_hub,
    register_patient,
    register_ward,
)

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
NEW_BADGE = "70b3d57ed0000001"  # not registered yet: a badge roll-out
REGISTERED_BADGE = "70b3d57ed0000002"  # on a ward without zones yet
CONTAINER_EUI = "24e124713b009001"
ROLES = ("operator", "admin")


def _badge_uplink(dev_eui: str, f_cnt: int = 1) -> tuple[str, bytes]:
    payload = encode(
        "tilsyn-hygiene-v1",
        {
            "message": "badge_events",
            "time": int((NOW - timedelta(minutes=5)).timestamp()),
            "role": "doctor",
            "events": [
                {"offset_s": 0, "event": "entry", "zone": "patient_zone", "ref": 12},
                {"offset_s": 240, "event": "exit", "zone": "patient_zone", "ref": 12},
            ],
        },
    )
    return chirpstack_uplink(dev_eui, payload.hex(), time=NOW, f_port=11, f_cnt=f_cnt)


def _listed(database_url: str, role_headers: dict[str, str], which: str) -> list[dict[str, Any]]:
    with TestClient(create_app(database_url)) as client:
        answer = client.get(f"/api/ingest/{which}", headers=role_headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()
    return items


def _assert_no_badge_trace(item: dict[str, Any]) -> None:
    assert item["payload_withheld"]
    assert item["payload_text"] is None and item["payload_base64"] == ""
    assert "deviceName" not in json.dumps(item) and "em310-" not in json.dumps(item)


def test_a_quarantined_badge_uplink_is_listed_without_its_events(
    database_url: str, sign_in: SignIn
) -> None:
    container = chirpstack_uplink(CONTAINER_EUI, "01755C03824408040001")
    result = store(database_url, _badge_uplink(NEW_BADGE), container)
    assert result.quarantined == 2
    for role in ROLES:
        unknown_container, badge = _listed(
            database_url, sign_in(role), "quarantine"
        )  # newest first
        _assert_no_badge_trace(badge)
        # What the operator needs to act on it stays: which device, and why.
        assert badge["dev_eui"] == NEW_BADGE and badge["reason"] == f"unknown device {NEW_BADGE}"
        # A fill sensor's uplink is the operator's to read, whole.
        assert not unknown_container["payload_withheld"]
        envelope = json.loads(unknown_container["payload_text"])
        assert envelope["deviceInfo"]["devEui"] == CONTAINER_EUI


def test_a_dead_lettered_badge_uplink_is_listed_without_its_events(
    database_url: str, sign_in: SignIn
) -> None:
    with psycopg.connect(database_url) as conn:
        register_ward(conn, WardIn(ward_id="M4", name="Medical 4", zones=[]))
        register_badge(conn, BadgeIn(dev_eui=REGISTERED_BADGE, ward_id="M4", role="doctor"))
    # A ward without zones makes the badge's message unusable; a payload cut short, undecodable.
    topic, body = _badge_uplink(REGISTERED_BADGE, f_cnt=2)
    envelope = json.loads(body)
    envelope["data"] = base64.b64encode(base64.b64decode(envelope["data"])[:-2]).decode()
    result = store(
        database_url, _badge_uplink(REGISTERED_BADGE), (topic, json.dumps(envelope).encode())
    )
    assert result.dead_letters == 2
    for role in ROLES:
        items = _listed(database_url, sign_in(role), "dead-letters")
        assert len(items) == 2
        for item in items:
            _assert_no_badge_trace(item)
        reasons = " | ".join(item["reason"] for item in items)
        assert "has no hand-hygiene zones" in reasons and "rejected" in reasons


def test_a_reason_carrying_a_badges_events_is_cut(database_url: str, sign_in: SignIn) -> None:
    """No reason ingest writes lists events, but an unforeseen error's text might."""
    topic, body = _badge_uplink(NEW_BADGE)
    events = "[{'offset_s': 0, 'event': 'entry', 'zone': 'patient_zone', 'ref': 12}]"
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO dead_letters (topic, reason, payload) VALUES (%s, %s, %s)",
            (topic, f"could not be classified: ValueError: bad events {events}", body),
        )
    (item,) = _listed(database_url, sign_in("operator"), "dead-letters")
    _assert_no_badge_trace(item)
    assert item["reason"] == "could not be classified: ValueError: bad events <withheld>"


def test_a_hub_reason_names_no_patient(database_url: str, sign_in: SignIn) -> None:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P-1", unit="Våler"))
        register_patient(conn, PatientIn(patient_id="P-KARI-NORDMANN", unit="Våler"))
        register_hub(conn, HubIn(hub_id="H1", unit="Våler", patient_ids=["P-1"]))
    entries = [
        build_observation(patient, "heart_rate", 72.0, NOW, observation_id=f"o-{patient}")
        for patient in ("P-KARI-NORDMANN", "P-OLA-UKJENT")  # registered elsewhere; unknown
    ]
    body = {"messageId": "m1", "hubId": "H1", "sentAt": NOW.isoformat(), "entries": entries}
    result = store(database_url, ("tilsyn/edge/H1/up", json.dumps(body).encode()))
    assert result.quarantined == 1
    with psycopg.connect(database_url) as conn:
        (stored,) = conn.execute("SELECT reason FROM quarantine").fetchone() or ("",)
    assert "P-KARI-NORDMANN" in stored, "kept whole in the database, for replay"
    for role in ROLES:
        (item,) = _listed(database_url, sign_in(role), "quarantine")
        assert item["payload_withheld"]
        assert "KARI" not in item["reason"] and "UKJENT" not in item["reason"]
        assert item["reason"] == (
            "entry 0: patient <withheld> is not registered for hub H1; "
            "entry 1: patient <withheld> is not registered for hub H1"
        )
