"""Ingest under faults: a database restart mid-stream, and several workers sharing the stream."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from link import Link
from lorawan import chirpstack_uplink
from registry_seed import sample_container
from waiting import wait_for

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.db.embedded import EmbeddedPostgres
from tilsyn.platform.db.migrate import apply_migrations
from tilsyn.platform.ingest.service import IngestService

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEVICES = [f"24e1247100aa{i:04x}" for i in range(20)]


def _register(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for i, dev_eui in enumerate(DEVICES):
            register_container(
                conn,
                sample_container(
                    f"C{i}",
                    dev_eui,
                    waste_kind="paper",
                    capacity_litres=660,
                    empty_distance_mm=2000,
                    full_distance_mm=300,
                ),
            )


def _publish(mqtt_url: str, count: int, rate: float) -> None:
    publisher = MqttConnection(mqtt_url, f"ns-{uuid.uuid4().hex[:6]}")
    publisher.connect()
    started = time.monotonic()
    for i in range(count):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        topic, body = chirpstack_uplink(DEVICES[i % len(DEVICES)], "0175640382d007", f_cnt=i + 1)
        publisher.publish(topic, body, qos=1)
    publisher.publish("done", b"", qos=1, wait=True)
    publisher.close()


def _counts(database_url: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        readings = conn.execute("SELECT count(*) FROM container_readings").fetchone()
        keys = conn.execute("SELECT count(*) FROM ingest_keys WHERE key NOT LIKE 'fc:%'").fetchone()
    assert readings is not None and keys is not None
    return int(readings[0]), int(keys[0])


def _ingest(database_url: str, mqtt_url: str, group: str) -> IngestService:
    settings = Settings(
        ingest_client_id=f"ingest-{uuid.uuid4().hex[:6]}",
        ingest_share_group=group,
        ingest_batch_size=200,
    )
    service = IngestService(settings, database_url, mqtt_url)
    service.start()
    return service


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    """A server of this test's own, since the test restarts it."""
    if os.environ.get("TILSYN_TEST_DATABASE_URL"):
        pytest.skip("restarts the database server; needs a server the tests start themselves")
    work = Path(tempfile.mkdtemp(prefix="tilsyn-restart-"))
    work.chmod(0o755)
    server = EmbeddedPostgres(work / "data", durable=False)
    server.start()
    with psycopg.connect(server.url) as conn:
        apply_migrations(conn)
    yield server
    server.stop()
    shutil.rmtree(work, ignore_errors=True)


def test_database_restart_mid_stream_loses_and_duplicates_nothing(
    own_server: EmbeddedPostgres, mosquitto_url: str
) -> None:
    _register(own_server.url)
    service = _ingest(own_server.url, mosquitto_url, f"g{uuid.uuid4().hex[:6]}")
    publisher = threading.Thread(target=_publish, args=(mosquitto_url, 3000, 600.0))
    publisher.start()
    try:
        wait_for(lambda: _counts(own_server.url)[0] > 500, timeout=30)
        own_server.stop()
        time.sleep(3)  # messages keep arriving while the database is down
        own_server.start()
        publisher.join(timeout=60)
        wait_for(lambda: _counts(own_server.url) == (3000, 3000), timeout=60)
        assert service.stats.database_retries > 0, "the outage was not noticed"
    finally:
        service.stop()
    assert _counts(own_server.url) == (3000, 3000)


def test_workers_in_one_share_group_split_the_stream(database_url: str, mosquitto_url: str) -> None:
    _register(database_url)
    group = f"g{uuid.uuid4().hex[:6]}"
    workers = [_ingest(database_url, mosquitto_url, group) for _ in range(2)]
    try:
        _publish(mosquitto_url, 1000, 2000.0)
        wait_for(lambda: _counts(database_url) == (1000, 1000), timeout=60)
    finally:
        for worker in workers:
            worker.stop()
    shares = [worker.stats.stored for worker in workers]
    assert sum(shares) == 1000
    assert all(share > 0 for share in shares), f"one worker got everything: {shares}"


def test_a_database_blip_while_a_new_device_is_looked_up_stops_nothing(
    database_url: str, mosquitto_url: str
) -> None:
    """The lookup of a device the cache does not hold went to the database outside the
    writer's retry: the writer thread died and nothing was stored after the blip."""
    _register(database_url)
    port = int(database_url.rsplit("port=", 1)[1].split()[0])
    link = Link(port)
    relayed = database_url.replace(f"port={port}", f"port={link.url.rsplit(':', 1)[1]}")
    run = uuid.uuid4().hex[:8]
    ingest = IngestService(Settings(ingest_client_id=f"ingest-{run}"), relayed, mosquitto_url)
    ingest.start()
    sender = MqttConnection(mosquitto_url, f"network-server-{run}")
    sender.connect()
    unknown = "24e12471ffff0009"
    try:
        sender.publish(*chirpstack_uplink(DEVICES[0], "0175640382d007", f_cnt=1), qos=1, wait=True)
        wait_for(lambda: _counts(database_url)[0] == 1)
        link.cut()
        sender.publish(*chirpstack_uplink(unknown, "0175640382d007", f_cnt=1), qos=1, wait=True)
        time.sleep(2)
        link.restore()
        sender.publish(*chirpstack_uplink(DEVICES[0], "0175640382d007", f_cnt=2), qos=1, wait=True)
        wait_for(lambda: _counts(database_url)[0] == 2, timeout=30)
        assert ingest.stats.database_retries >= 1
        with psycopg.connect(database_url) as conn:
            quarantined = conn.execute("SELECT dev_eui FROM quarantine").fetchall()
        assert quarantined == [(unknown,)], "the unknown device's uplink is kept too"
    finally:
        sender.close()
        ingest.stop()
        link.close()
