"""Receipts to hubs: after a commit the ingest names every hub message id it stored, found
stored before, or kept in dead letters or quarantine, on the hub's own receipt topic."""

from __future__ import annotations

import json
import queue
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from direct_ingest import store

from tilsyn.edge.messages import pack
from tilsyn.edge.readings import Reading
from tilsyn.edge.receipts import Receipt
from tilsyn.mqtt import Message, MqttConnection
from tilsyn.platform.config import Settings
from tilsyn.platform.ingest.receipts import MAX_IDS_PER_RECEIPT, receipts_for
from tilsyn.platform.ingest.service import IngestService
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

HUB, PATIENT = "receipt-hub", "receipt-p1"


def _message(hub_id: str, patient_id: str) -> tuple[str, bytes]:
    reading = Reading(
        reading_id=str(uuid.uuid4()),
        patient_id=patient_id,
        kind="spo2",
        value=96,
        taken_at=datetime.now(UTC),
        device_id="oximeter-1",
    )
    (message,) = pack(hub_id, [reading], time.time())
    return message.message_id, message.body


def _up(hub_id: str, body: bytes) -> Message:
    return Message(f"tilsyn/edge/{hub_id}/up", body, 1, 0, time.time())


def test_receipts_name_each_hubs_message_ids_once_on_its_own_topic() -> None:
    a1, a1_body = _message("hub-a", "p")
    a2, a2_body = _message("hub-a", "p")
    b1, b1_body = _message("hub-b", "p")
    batch = [
        _up("hub-a", a1_body),
        _up("hub-b", b1_body),
        _up("hub-a", a1_body),  # a repeat within the batch
        _up("hub-a", a2_body),
        _up("hub-a", b"not json"),
        _up("hub-a", b'{"messageId": 7}'),
        Message("tilsyn/edge/hub-a/health", b'{"messageId": "h"}', 1, 0, time.time()),
    ]
    receipts = {topic: Receipt.model_validate_json(body) for topic, body in receipts_for(batch, 0)}
    assert receipts.keys() == {"tilsyn/edge/hub-a/receipt", "tilsyn/edge/hub-b/receipt"}
    assert receipts["tilsyn/edge/hub-a/receipt"].message_ids == [a1, a2]
    assert receipts["tilsyn/edge/hub-b/receipt"].message_ids == [b1]
    assert receipts["tilsyn/edge/hub-b/receipt"].hub_id == "hub-b"


def test_a_batch_naming_many_ids_is_split_into_receipts_of_bounded_size() -> None:
    bodies = [json.dumps({"messageId": f"m{n}"}).encode() for n in range(MAX_IDS_PER_RECEIPT + 1)]
    receipts = receipts_for([_up("hub-a", body) for body in bodies], 0)
    sizes = [len(Receipt.model_validate_json(body).message_ids) for _, body in receipts]
    assert sizes == [MAX_IDS_PER_RECEIPT, 1]


@pytest.fixture
def ingest(database_url: str, mosquitto_url: str) -> Iterator[IngestService]:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id=PATIENT, unit="Våler"))
        register_hub(conn, HubIn(hub_id=HUB, unit="Våler", patient_ids=[PATIENT]))
    tag = uuid.uuid4().hex[:6]
    settings = Settings(ingest_client_id=f"ingest-{tag}", ingest_share_group=f"g{tag}")
    service = IngestService(settings, database_url, mosquitto_url)
    service.start()
    yield service
    service.stop()


def _connected(url: str, name: str) -> MqttConnection:
    connection = MqttConnection(url, f"{name}-{uuid.uuid4().hex[:6]}")
    connection.connect()
    return connection


def _receipted(receipts: queue.Queue[Message], topic: str, wanted: set[str]) -> set[str]:
    """Ids named on `topic` until all of `wanted` were (or 15 s passed)."""
    named: set[str] = set()
    deadline = time.monotonic() + 15
    while not wanted <= named and time.monotonic() < deadline:
        try:
            message = receipts.get(timeout=0.5)
        except queue.Empty:
            continue
        if message.topic == topic:
            named |= set(Receipt.model_validate_json(message.payload).message_ids)
    return named


def _kept(database_url: str, stranger: bytes, bad_entry: bytes) -> tuple[int, bool, bool]:
    """Vitals stored for the hub; whether each rejected payload is kept where it belongs."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM vital_observations WHERE hub_id = %s),"
            " EXISTS (SELECT FROM quarantine WHERE payload = %s),"
            " EXISTS (SELECT FROM dead_letters WHERE payload = %s)",
            (HUB, stranger, bad_entry),
        ).fetchone()
    assert row is not None
    return int(row[0]), bool(row[1]), bool(row[2])


@pytest.mark.integration
def test_stored_duplicate_dead_lettered_and_quarantined_messages_are_all_receipted(
    database_url: str, mosquitto_url: str, ingest: IngestService
) -> None:
    receipts: queue.Queue[Message] = queue.Queue()
    listener = MqttConnection(mosquitto_url, f"hubs-{uuid.uuid4().hex[:6]}")
    listener.subscribe("tilsyn/edge/+/receipt", 1, receipts.put)
    listener.connect()
    hub = _connected(mosquitto_url, "hub")
    stored, stored_body = _message(HUB, PATIENT)
    stranger, stranger_body = _message(HUB, "not-this-hubs-patient")
    other, other_body = _message("unregistered-hub", PATIENT)
    bad_entry = json.dumps(
        {"messageId": "bad-entry", "hubId": HUB, "sentAt": "2026-11-23T04:00:00Z",
         "entries": [{"resourceType": "Banana"}]}
    ).encode()  # fmt: skip
    try:
        for body in (stored_body, stranger_body, bad_entry, b"not json"):
            hub.publish(f"tilsyn/edge/{HUB}/up", body, qos=1, wait=True)
        hub.publish("tilsyn/edge/unregistered-hub/up", other_body, qos=1, wait=True)

        wanted = {stored, stranger, "bad-entry"}
        named = _receipted(receipts, f"tilsyn/edge/{HUB}/receipt", wanted)
        assert named == wanted
        # A receipt follows the commit: what it names is in the database already.
        assert _kept(database_url, stranger_body, bad_entry) == (1, True, True)
        assert _receipted(receipts, "tilsyn/edge/unregistered-hub/receipt", {other}) == {other}

        hub.publish(f"tilsyn/edge/{HUB}/up", stored_body, qos=1, wait=True)  # sent again
        assert _receipted(receipts, f"tilsyn/edge/{HUB}/receipt", {stored}) == {stored}
        vitals = _kept(database_url, stranger_body, bad_entry)[0]
        assert vitals == 1, "the repeat is a duplicate, not stored again"
    finally:
        hub.close()
        listener.close()
    assert ingest.stats.receipts >= 3


def _health(sent_at: str, **receipts: int) -> tuple[str, bytes]:
    report = {
        "hubId": HUB,
        "sentAt": sent_at,
        "queueDepth": 40,
        "dropped": {"total": 0, "byReason": {}},
        **receipts,
    }
    return f"tilsyn/edge/{HUB}/health", json.dumps(report).encode()


@pytest.mark.integration
def test_health_reports_keep_what_awaits_a_receipt(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        register_hub(conn, HubIn(hub_id=HUB, unit="Våler"))
    result = store(
        database_url,
        _health("2026-11-23T04:00:00Z", awaitingReceipt=32, resentWithoutReceipt=7),
        _health("2026-11-23T04:01:00Z"),  # an agent from before receipts
        _health("2026-11-23T04:02:00Z", awaitingReceipt=-1),
    )
    assert (result.stored, result.dead_letters) == (2, 1)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT awaiting_receipt, resent_without_receipt FROM hub_health ORDER BY time"
        ).fetchall()
    assert rows == [(32, 7), (None, None)]
