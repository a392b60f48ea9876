"""The catch-up session of an ingest share group (ingest/catch_up.py), against a real broker
and database: what arrives while it is away is stored when it is back, what comes later is
acknowledged and left to the group, and one worker of the group holds it at a time. Share
groups need MQTT 5 shared subscriptions, so only Mosquitto runs these."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
from waiting import wait_for

from tilsyn.mqtt import Message, MqttConnection
from tilsyn.platform.ingest.catch_up import APPLICATION_NAME, CatchUpHolder, CatchUpSession

pytestmark = pytest.mark.integration
TOPIC = "tilsyn/edge/{}/up"
WINDOW_S = 1.0


class Stored:
    """What the session hands to ingest; acknowledged at once, as after a commit."""

    def __init__(self) -> None:
        self.payloads: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, message: Message, connection: MqttConnection) -> None:
        with self._lock:
            self.payloads.append(message.payload)
        connection.ack(message)


def _session(mosquitto_url: str, client_id: str, stored: Stored) -> CatchUpSession:
    return CatchUpSession(
        mosquitto_url, client_id, ("tilsyn/edge/+/up",), stored, window_s=WINDOW_S
    )


def _publish(mosquitto_url: str, *payloads: bytes) -> None:
    sender = MqttConnection(mosquitto_url, f"hub-{uuid.uuid4().hex[:6]}")
    sender.connect()
    try:
        for payload in payloads:
            assert sender.publish(TOPIC.format("hub-1"), payload, qos=1, wait=True)
    finally:
        sender.close()


def test_a_session_new_to_the_broker_leaves_everything_to_the_group(
    mosquitto_url: str,
) -> None:
    """Nothing can have been missed: the broker had no session queueing for it."""
    stored = Stored()
    session = _session(mosquitto_url, f"ingest-{uuid.uuid4().hex[:6]}", stored)
    session.start()
    try:
        _publish(mosquitto_url, b"live")
        wait_for(lambda: session.dropped == 1, timeout=10)
    finally:
        session.close()
    assert (stored.payloads, session.stored, session.storing) == ([], 0, False)


def test_what_arrives_while_it_is_away_is_stored_when_it_is_back(mosquitto_url: str) -> None:
    client_id = f"ingest-{uuid.uuid4().hex[:6]}"
    stored = Stored()
    first = _session(mosquitto_url, client_id, stored)
    first.start()
    _publish(mosquitto_url, b"dropped")
    wait_for(lambda: first.dropped == 1, timeout=10)
    first.close()

    _publish(mosquitto_url, b"while away 1", b"while away 2")
    again = _session(mosquitto_url, client_id, stored)
    again.start()
    try:
        wait_for(lambda: len(stored.payloads) == 2, timeout=10)
        assert again.storing
        _publish(mosquitto_url, b"soon after")
        wait_for(lambda: len(stored.payloads) == 3, timeout=10)
        time.sleep(WINDOW_S + 0.2)  # the group has subscribed again by now
        _publish(mosquitto_url, b"later")
        wait_for(lambda: again.dropped == 1, timeout=10)
    finally:
        again.close()
    assert stored.payloads == [b"while away 1", b"while away 2", b"soon after"], (
        "the dropped message was acknowledged: the broker did not send it again"
    )


def test_one_worker_of_a_group_holds_it_and_another_takes_over(
    mosquitto_url: str, database_url: str
) -> None:
    """What arrives between one holder's stop and the next one's start is stored by the next:
    it is the same session, kept by the broker."""
    group = f"group-{uuid.uuid4().hex[:6]}"
    topics = ("tilsyn/edge/+/up",)
    first_stored, second_stored = Stored(), Stored()
    first = CatchUpHolder(database_url, mosquitto_url, group, topics, first_stored)
    second = CatchUpHolder(database_url, mosquitto_url, group, topics, second_stored)
    try:
        first.check()
        second.check()
        assert (first.holding, second.holding) == (True, False)
        second.check()
        assert not second.holding, "the lock is still the first's"
        first.close()
        _publish(mosquitto_url, b"between holders")  # nobody connected: the broker queues
        second.check()
        assert second.holding
        wait_for(lambda: second_stored.payloads == [b"between holders"], timeout=10)
    finally:
        first.close()
        second.close()
    assert first_stored.payloads == []
    assert (first.stored, second.stored) == (0, 1)


def test_a_holder_whose_lock_connection_is_lost_lets_go_and_takes_it_again(
    mosquitto_url: str, database_url: str
) -> None:
    holder = CatchUpHolder(
        database_url,
        mosquitto_url,
        f"group-{uuid.uuid4().hex[:6]}",
        ("tilsyn/edge/+/up",),
        Stored(),
    )
    try:
        holder.check()
        assert holder.holding
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()",
                (APPLICATION_NAME,),
            )
        holder.check()  # notices the loss, lets the session go, and takes the free lock again
        assert holder.holding
        with psycopg.connect(database_url) as conn:
            held = conn.execute(
                "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid)"
                " WHERE locktype = 'advisory' AND granted AND application_name = %s",
                (APPLICATION_NAME,),
            ).fetchone()
        assert held == (1,), "the lock is held again, on a new connection"
    finally:
        holder.close()
    assert not holder.holding
