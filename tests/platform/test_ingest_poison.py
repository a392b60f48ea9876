"""Messages that used to end the ingest writer for good (and came back after every restart,
never acknowledged): each is set aside with its reason, and what follows is stored. A
database that stops taking writes (a failover) is waited out, not mistaken for bad data."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime

import psycopg
import pytest
from live_ingest import live_ingest
from lorawan import chirpstack_uplink
from registry_seed import sample_container
from waiting import wait_for

from tilsyn.platform.containers.store import register_container
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

pytestmark = pytest.mark.integration
BIN = "24e124710000cafe"
HUB_TOPIC = "tilsyn/edge/hub-9/up"


def _hub(message_id: str, sent_at: str, **more: object) -> tuple[str, bytes]:
    body = {"messageId": message_id, "hubId": "hub-9", "sentAt": sent_at, **more}
    return HUB_TOPIC, json.dumps(body).encode()


def _spo2_series(message_id: str, at: float) -> tuple[str, bytes]:
    block = {"patientId": "P-9", "kind": "spo2", "unit": "%", "points": [[at, 97.0]]}
    return _hub(message_id, datetime.now(UTC).isoformat(), series=[block])


def _tts_uplink(correlation_id: str) -> tuple[str, bytes]:
    body = {
        "end_device_ids": {"device_id": "m1", "dev_eui": BIN.upper()},
        "correlation_ids": [correlation_id],
        "received_at": datetime.now(UTC).isoformat(),
        "uplink_message": {
            "f_cnt": 7,
            "f_port": 85,
            "frm_payload": base64.b64encode(bytes.fromhex("0175640382d007")).decode(),
        },
    }
    return "v3/waste@herning/devices/m1/up", json.dumps(body).encode()


@pytest.fixture
def registered(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("M1", BIN))
        register_patient(conn, PatientIn(patient_id="P-9", unit="Våler"))
        register_hub(conn, HubIn(hub_id="hub-9", unit="Våler", patient_ids=["P-9"]))
    return database_url


def _count(database_url: str, table: str) -> int:
    with psycopg.connect(database_url) as conn:
        (count,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,)
    return int(count)


def test_poison_messages_are_set_aside_and_the_writer_goes_on(
    registered: str, mosquitto_url: str
) -> None:
    poison = [
        _hub("naive", "2026-11-24T03:00:00"),  # no UTC offset
        _hub("far", "9999-12-31T23:59:59Z", entries=[]),
        _spo2_series("huge-time", 1e20),
        (HUB_TOPIC, b"[" * 100_000),  # nested past any parser's depth
        _tts_uplink("as:up:" + secrets.token_urlsafe(7500)),  # a key too long to index
    ]
    with live_ingest(registered, mosquitto_url) as (ingest, sender):
        for topic, body in poison:
            sender.publish(topic, body, qos=1, wait=True)
        for f_cnt in range(10, 15):
            sender.publish(*chirpstack_uplink(BIN, "0175640382d007", f_cnt=f_cnt), qos=1)
        sender.publish(*_spo2_series("good", datetime.now(UTC).timestamp()), qos=1, wait=True)
        wait_for(lambda: _count(registered, "container_readings") == 6, timeout=30)
        wait_for(lambda: _count(registered, "vital_observations") == 1, timeout=30)
        assert ingest.running
        with psycopg.connect(registered) as conn:
            reasons = [r for (r,) in conn.execute("SELECT reason FROM dead_letters ORDER BY id")]
    assert len(reasons) == 4, reasons  # the long key is kept by its hash and stored
    assert any("timezone" in r for r in reasons), "the naive time says why"
    assert any("not a time here" in r for r in reasons)
    assert ingest.stats.database_retries == 0, "bad data is not an outage"


def test_a_database_that_stops_taking_writes_is_waited_out(
    registered: str, mosquitto_url: str
) -> None:
    """During a failover the old primary answers as a read-only standby: the batch is kept
    and tried again (the writer used to dead-letter it and die)."""

    def read_only(on: bool) -> None:
        with psycopg.connect(registered, autocommit=True) as conn:
            conn.execute("SET default_transaction_read_only = off")  # this session may
            name = conn.info.dbname
            value = "on" if on else "off"
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {value}')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

    try:
        with live_ingest(registered, mosquitto_url) as (ingest, sender):
            read_only(True)
            for f_cnt in range(1, 6):
                sender.publish(*chirpstack_uplink(BIN, "0175640382d007", f_cnt=f_cnt), qos=1)
            wait_for(lambda: ingest.stats.database_retries >= 2, timeout=30)
            assert _count(registered, "container_readings") == 0
            read_only(False)
            wait_for(lambda: _count(registered, "container_readings") == 5, timeout=30)
    finally:
        read_only(False)
    assert _count(registered, "dead_letters") == 0
    assert "read-only" in (ingest.stats.last_database_error or "")
