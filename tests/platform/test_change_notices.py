"""Several platform processes on one database (the ingest workers of a share group): what one
of them commits reaches the others' live views and ingest through the database's notices
(db/listener.py, migration 0040), not only the views of the process that made the change."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from direct_ingest import classifier_for
from fastapi.testclient import TestClient
from fix_auth import SignIn
from fix_server import LiveServer
from live_ingest import live_ingest
from live_map import MapEvent, map_server, open_map
from lorawan import chirpstack_uplink
from own_loop import run
from registry_seed import sample_container
from waiting import wait_for

from tilsyn.mqtt import Message
from tilsyn.platform.alerts.hub import Notification, NotificationHub, OutboxNotices
from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.api.app import create_app
from tilsyn.platform.containers.feed import ContainerFeed, ContainerNotices
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.db.listener import APPLICATION_NAME, ChangeListener
from tilsyn.platform.ingest.directory import DeviceDirectory, DeviceNotices
from tilsyn.platform.ingest.writer import write_batch

pytestmark = pytest.mark.integration
VECTOR = "01755C03824408040001"  # DOMAIN.md: EM310-UDL, 2116 mm, 92 % battery, tilted
OLD_EUI, NEW_EUI = "24e124713b000001", "24e124713b0000a1"


def _fire(container_id: str) -> Signal:
    return Signal(
        "container", container_id, "fire", True, datetime.now(UTC), "critical", "operator", "",
        "Fire", {},
    )  # fmt: skip


def _raise(database_url: str, *container_ids: str) -> list[int]:
    """Alerts raised as another process's alert engine raises them; their outbox ids."""
    with psycopg.connect(database_url) as conn:
        apply_signals(conn, [_fire(container_id) for container_id in container_ids])
        rows = conn.execute(
            "SELECT o.id FROM notification_outbox o JOIN alerts a USING (alert_id)"
            " WHERE a.entity_id = ANY(%s) ORDER BY o.id",
            (list(container_ids),),
        ).fetchall()
    return [row[0] for row in rows]


def _read_alerts(url: str, headers: dict[str, str], found: list[dict[str, Any]]) -> None:
    with httpx.stream("GET", f"{url}/api/alerts/stream", headers=headers, timeout=30) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                found.append(json.loads(line[6:]))


def test_an_alert_raised_or_acknowledged_in_another_process_reaches_this_ones_streams(
    database_url: str, sign_in: SignIn
) -> None:
    """An operator's screen is served by one worker; the alert is raised by another worker's
    engine and acknowledged through a third worker's API. Her stream shows both at once,
    without reconnecting."""
    operator = sign_in("operator")
    other_worker = create_app(database_url)
    with (
        LiveServer(create_app(database_url)) as hers,
        TestClient(other_worker) as other,
    ):
        events: list[dict[str, Any]] = []
        threading.Thread(
            target=_read_alerts, args=(hers.url, operator, events), daemon=True
        ).start()
        time.sleep(0.5)  # the stream is open
        _raise(database_url, "C1")
        wait_for(lambda: [e["event"] for e in events] == ["raised"], timeout=10)
        alert_id = events[0]["alert"]["alert_id"]
        answer = other.post(f"/api/alerts/{alert_id}/acknowledge", headers=operator)
        assert answer.status_code == 200, answer.text
        wait_for(lambda: [e["event"] for e in events] == ["raised", "acknowledged"], timeout=10)
    assert events[1]["alert"]["state"] == "acknowledged"


def test_a_reading_stored_by_another_worker_reaches_this_ones_map(
    database_url: str, sign_in: SignIn
) -> None:
    """The fill map is fed by this process's ingest, and now by every other worker's too."""
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G1", OLD_EUI))
    with map_server(database_url) as (url, feed):
        events = open_map(url, sign_in("operator"), feed)
        # Another worker's ingest: its own registry, its own batch, its own connection.
        topic, payload = chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=1)
        outcome = classifier_for(database_url).classify(Message(topic, payload, 1, 0, time.time()))
        with psycopg.connect(database_url) as conn:
            assert write_batch(conn, [outcome]).stored == 1
        wait_for(lambda: _fills(events), timeout=10)
    assert _fills(events) == [("G1", pytest.approx(35.4))]  # (3000 - 2116) / 2500


def _fills(events: list[MapEvent]) -> list[tuple[str, float]]:
    return [
        (state["container_id"], state["fill_percent"])
        for name, batch in events
        if name == "fill"
        for state in batch
        if state["fill_percent"] is not None
    ]


def test_a_sensor_swapped_through_another_worker_is_learned_by_ingest_at_once(
    database_url: str, mosquitto_url: str, sign_in: SignIn
) -> None:
    """Another worker's API gave the container a new sensor. This worker's ingest hears of it
    as it commits, not at its next reload of the registry (a minute): the old sensor's next
    frame goes to quarantine instead of being stored as the container's fill."""
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G1", OLD_EUI))
    with live_ingest(database_url, mosquitto_url) as (ingest, network_server):
        network_server.publish(*chirpstack_uplink(OLD_EUI, VECTOR, f_cnt=1), qos=1)
        wait_for(lambda: ingest.stats.stored == 1, timeout=30)
        with (
            TestClient(create_app(database_url, ingest_service=ingest)),
            TestClient(create_app(database_url)) as other_worker,
        ):
            answer = other_worker.patch(
                "/api/containers/G1", json={"dev_eui": NEW_EUI}, headers=sign_in("operator")
            )
            assert answer.status_code == 200, answer.text
            wait_for(lambda: ingest._directory.lookup(OLD_EUI) is None, timeout=10)


# ---- the listener itself -------------------------------------------------------------------


class _Recording(NotificationHub):
    """Remembers the outbox ids it passed on to streams."""

    def __init__(self) -> None:
        super().__init__()
        self.passed_on: list[int] = []

    def publish(self, item: Notification, topic: str | None = None) -> None:
        self.passed_on.append(item.outbox_id)
        super().publish(item, topic)


def test_the_hub_passes_each_outbox_entry_on_once() -> None:
    """A change is announced by the process that made it and again by the database's notice;
    a stream, and the night sweep that follows alerts, hear of it once."""

    async def heard() -> list[int]:
        hub = NotificationHub()
        queue = hub.subscribe(["operator"])
        entry = Notification(7, "operator", {"event": "raised", "alert": {}})
        hub.announce([entry])
        hub.announce([entry, Notification(8, "operator", {"event": "raised", "alert": {}})])
        await asyncio.sleep(0.05)
        found = []
        while not queue.empty():
            item = queue.get_nowait()
            assert item is not None
            found.append(item.outbox_id)
        return found

    assert run(heard) == [7, 8]


def test_notices_missed_while_the_connection_was_lost_are_caught_up(database_url: str) -> None:
    """PostgreSQL keeps no notice for a listener that is away: entries committed while its
    connection was down are read from the outbox when it is back. Entries from before it
    first listened are not announced (a stream replays those by Last-Event-ID)."""
    before = _raise(database_url, "C1")
    hub = _Recording()
    listener = ChangeListener(database_url, [OutboxNotices(hub)], retry_s=2.0)
    listener.start()
    try:
        assert listener.listening.wait(10)
        heard = _raise(database_url, "C2")
        wait_for(lambda: hub.passed_on == heard, timeout=10)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()",
                (APPLICATION_NAME,),
            )
        wait_for(lambda: not listener.listening.is_set(), timeout=10)
        missed = _raise(database_url, "C3", "C4")  # nobody listens now (2 s before a retry)
        assert listener.listening.wait(10)
        wait_for(lambda: hub.passed_on == heard + missed, timeout=10)
    finally:
        listener.stop()
    assert not set(before) & set(hub.passed_on)


def test_after_a_lost_connection_every_container_and_the_registry_are_read_again(
    database_url: str,
) -> None:
    """What changed while nobody listened is unknown: every container's state goes out to the
    maps again, and ingest reads the whole registry again. Not on the first listen."""
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G1", OLD_EUI))
    feed = ContainerFeed()
    directory = DeviceDirectory(database_url)
    directory.load()
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("G2", NEW_EUI))  # another process, unheard
    channels = [ContainerNotices(feed), DeviceNotices(directory)]
    with psycopg.connect(database_url) as conn:
        for channel in channels:
            channel.listening(conn, after_loss=False)
        assert feed._changed == set() and NEW_EUI not in directory._known
        for channel in channels:
            channel.listening(conn, after_loss=True)
    assert feed._changed == {"G1", "G2"}
    assert NEW_EUI in directory._known
