"""Every ingest worker's figures in one place (`workers` in `/api/ingest/status`): with a share
group, each worker stores a share of the stream, and any process's API lists them all."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn
from live_ingest import share_group
from lorawan import chirpstack_uplink
from registry_seed import sample_container
from waiting import wait_for

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.service import IngestService
from tilsyn.platform.ingest.workers import APPLICATION_NAME, WorkerFigures, WorkerReporter

pytestmark = pytest.mark.integration
VECTOR = "01755C03824408040001"  # DOMAIN.md: EM310-UDL, 2116 mm, 92 % battery, tilted
SENSORS = [f"24e124713b00{n:04x}" for n in range(1, 9)]
UPLINKS_EACH = 10


@pytest.fixture
def workers(database_url: str, mosquitto_url: str) -> Iterator[list[IngestService]]:
    with psycopg.connect(database_url) as conn:
        for n, dev_eui in enumerate(SENSORS):
            register_container(conn, sample_container(f"W{n}", dev_eui))
    started = share_group(database_url, mosquitto_url)
    for worker in started:
        worker.start()
    yield started
    for worker in started:
        worker.stop()


def _status(client: TestClient, sign_in: SignIn) -> dict[str, object]:
    answer = client.get("/api/ingest/status", headers=sign_in("operator"))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _listed(status: dict[str, object]) -> dict[str, dict[str, object]]:
    workers = status["workers"]
    assert isinstance(workers, list)
    return {str(worker["worker_id"]): worker for worker in workers}


def test_every_worker_of_a_share_group_is_listed_with_its_share(
    workers: list[IngestService],
    mosquitto_url: str,
    database_url: str,
    client: TestClient,
    sign_in: SignIn,
) -> None:
    sent = len(SENSORS) * UPLINKS_EACH
    publisher = MqttConnection(mosquitto_url, f"network-server-{uuid.uuid4().hex[:8]}")
    publisher.connect()
    try:
        for f_cnt in range(1, UPLINKS_EACH + 1):
            for dev_eui in SENSORS:
                publisher.publish(*chirpstack_uplink(dev_eui, VECTOR, f_cnt=f_cnt), qos=1)
        wait_for(lambda: sum(worker.stats.stored for worker in workers) == sent, timeout=30)
    finally:
        publisher.close()
    ids = {worker.figures().worker_id for worker in workers}

    def reported() -> dict[str, dict[str, object]] | None:
        listed = _listed(_status(client, sign_in))  # this API runs no ingest of its own
        stored = sum(int(str(listed[i]["stored"])) for i in ids if i in listed)
        return listed if set(listed) == ids and stored == sent else None

    listed = wait_for(reported, timeout=30, interval=0.5)
    assert all(int(str(listed[i]["stored"])) > 0 for i in ids), "each worker took a share"
    assert all(listed[i]["running"] is True and listed[i]["heard"] is True for i in ids)
    assert sum(bool(listed[i]["hygiene_matching"]) for i in ids) == 1

    # A worker that stops says so; one not heard from for a while is marked.
    stopped = workers.pop()
    stopped.stop()
    stopped_id = stopped.figures().worker_id
    assert _listed(_status(client, sign_in))[stopped_id]["running"] is False
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE ingest_workers SET seen_at = now() - interval '1 minute' WHERE worker_id = %s",
            (stopped_id,),
        )
    assert _listed(_status(client, sign_in))[stopped_id]["heard"] is False
    with psycopg.connect(database_url) as conn:  # gone for good after a week: no longer listed
        conn.execute(
            "UPDATE ingest_workers SET seen_at = now() - interval '8 days' WHERE worker_id = %s",
            (stopped_id,),
        )
    assert stopped_id not in _listed(_status(client, sign_in))


def test_a_worker_reports_on_one_connection_and_goes_on_after_a_database_restart(
    database_url: str,
) -> None:
    """Every 5 s a report: on the connection kept since the last one, not a new one each
    time. A connection lost meanwhile (the database restarted) costs that report nothing."""
    reporter = WorkerReporter(database_url)
    figures = WorkerFigures(worker_id="w1", host="h", pid=1, started_at=datetime.now(UTC))
    try:
        reporter.report(figures)
        first = _reporting_backend(database_url)
        reporter.report(figures.model_copy(update={"stored": 5}))
        assert _reporting_backend(database_url) == first, "the same connection"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (first,))
        reporter.report(figures.model_copy(update={"stored": 9}))
    finally:
        reporter.close()
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT stored FROM ingest_workers WHERE worker_id = 'w1'").fetchone()
    assert row == (9,)


def _reporting_backend(database_url: str) -> int:
    """The server process of the reporter's connection: there is one."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            (APPLICATION_NAME,),
        ).fetchall()
    assert len(rows) == 1, rows
    return int(rows[0][0])
