"""End to end against a real Mosquitto, the real ingest and PostgreSQL: every measurement stored
exactly once through a broker outage and an agent kill -9; a full queue keeps the newest data.
The broker and the ingest run as in production: persistence with the default autosave, and the
ingest on an MQTT 5 shared subscription. Receipts, not PUBACKs, let an agent forget a message.

The agents run as processes on the simulator's patients at four simulated days per second. What
they should have measured is recomputed here from the seed and the schedule up to where each
agent's cursor stopped, and compared reading by reading with what the platform stored.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import edge_hubs as hubs
import psycopg
import pytest
from waiting import wait_for

from tilsyn.broker.local import MosquittoBroker
from tilsyn.codecs.questionnaire import build_questionnaire_response
from tilsyn.edge.answers import INBOX
from tilsyn.edge.db import Database
from tilsyn.edge.queue import DiskQueue, QueueStats
from tilsyn.edge.state import AgentState
from tilsyn.platform.config import Settings
from tilsyn.platform.ingest.service import IngestService
from tilsyn.ports import free_port

pytestmark = pytest.mark.integration

HUBS = ("vaaler-hub-008", "vaaler-hub-009", "vaaler-hub-010")
OUTAGE_S = 20.0  # the hubs measure about two readings a second meanwhile
QUICK_RESEND = ("--receipt-timeout", "5")  # the default 60 s would only make the tests longer


@pytest.fixture
def ingest(database_url: str) -> Iterator[list[IngestService]]:
    """Started by the test once its broker is up; stopped here."""
    started: list[IngestService] = []
    yield started
    for service in started:
        service.stop()


def _start_ingest(started: list[IngestService], database_url: str, mqtt_url: str) -> None:
    tag = uuid.uuid4().hex[:6]
    settings = Settings(ingest_client_id=f"ingest-{tag}", ingest_share_group=f"g{tag}")
    service = IngestService(settings, database_url, mqtt_url)
    service.start()
    started.append(service)


def _stop(agent: subprocess.Popen[bytes]) -> None:
    agent.send_signal(signal.SIGTERM)
    assert agent.wait(timeout=20) == 0


def _queue_stats(data_dir: Path) -> QueueStats:
    db = Database(data_dir)
    try:
        return DiskQueue(db).stats()
    finally:
        db.close()


def _still_queued(data_dir: Path) -> set[str]:
    db = Database(data_dir)
    try:
        bodies = [m.body for m in DiskQueue(db).peek(100_000)]
    finally:
        db.close()
    return {entry["id"] for body in bodies for entry in json.loads(body)["entries"]}


def _assert_exactly_once(database_url: str, hub_id: str, data_dir: Path) -> int:
    """Everything measured and no longer queued is stored, once; a message still queued may be
    stored already (its receipt was on the way), but once at most. Returns how many readings
    had to be stored."""
    expected = hubs.expected(hub_id, data_dir)
    queued = _still_queued(data_dir)
    assert queued <= expected.keys()
    must = expected.keys() - queued
    deadline = time.monotonic() + 30
    while not must <= (stored := hubs.stored(database_url, hub_id)).keys():
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    missing = sorted(expected[rid][1] for rid in must - stored.keys())
    extra = stored.keys() - expected.keys()
    twice = [
        rid
        for rid in stored.keys() & expected.keys()
        if stored[rid] != hubs.rows_of(expected[rid][0])
    ]
    assert (missing, extra, twice) == ([], set(), []), (
        f"{len(must)} expected; set aside from {hub_id}: {_set_aside(database_url, hub_id)}"
    )
    assert _queue_stats(data_dir).dropped_total == 0
    return len(must)


def _set_aside(database_url: str, hub_id: str) -> list[str]:
    """Why the platform kept messages of the hub in dead letters or quarantine (a receipt
    takes them off the hub too)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT 'dead letter: ' || reason FROM dead_letters WHERE topic = %(topic)s"
            " UNION ALL SELECT 'quarantined: ' || reason FROM quarantine WHERE topic = %(topic)s",
            {"topic": f"tilsyn/edge/{hub_id}/up"},
        ).fetchall()
    return [str(reason) for (reason,) in rows]


def _resent(data_dir: Path) -> int:
    db = Database(data_dir)
    try:
        return int(AgentState(db).read("resent") or 0)
    finally:
        db.close()


@pytest.mark.slow
def test_a_broker_outage_loses_and_duplicates_nothing(
    tmp_path: Path, database_url: str, ingest: list[IngestService]
) -> None:
    """Mosquitto killed with -9 comes back without the ingest's session (its last autosave is
    older) and, being 2.0, without shared subscriptions. Here the hubs get to it first, the worst
    order: the ingest is back only once every hub has had messages acknowledged by the restarted
    broker and routed to nobody. The receipts that never come make the hubs send them again."""
    broker = MosquittoBroker(tmp_path / "broker", persistent=True)
    broker.start()
    hubs.register_hubs(database_url, HUBS)
    _start_ingest(ingest, database_url, broker.url)
    agents = [hubs.start_agent(hub_id, broker.url, tmp_path, *QUICK_RESEND) for hub_id in HUBS]
    try:
        wait_for(lambda: all(hubs.stored(database_url, h) for h in HUBS), timeout=30)
        broker.kill()
        ingest.pop().stop()
        time.sleep(OUTAGE_S)  # the hubs keep measuring meanwhile
        queued_offline = [_queue_stats(tmp_path / h).depth for h in HUBS]
        broker.start()  # the same port and persistence file
        wait_for(
            lambda: all(_queue_stats(tmp_path / h).awaiting_receipt >= 5 for h in HUBS),
            timeout=30,
        )
        resent_before = [_resent(tmp_path / h) for h in HUBS]  # sends that reached nobody follow
        _start_ingest(ingest, database_url, broker.url)
        wait_for(lambda: all(_queue_stats(tmp_path / h).depth == 0 for h in HUBS), timeout=120)
    finally:
        for agent in agents:
            _stop(agent)
        broker.stop()
    assert min(queued_offline) > 10, f"little was measured offline: {queued_offline}"
    resent = [_resent(tmp_path / h) - before for h, before in zip(HUBS, resent_before, strict=True)]
    assert min(resent) >= 5, f"what reached nobody should have been sent again: {resent}"
    counts = [_assert_exactly_once(database_url, h, tmp_path / h) for h in HUBS]
    assert min(counts) > 100, counts


def test_messages_the_broker_routed_to_nobody_are_sent_until_receipted(
    tmp_path: Path, database_url: str, mosquitto_url: str, ingest: list[IngestService]
) -> None:
    """The broker acknowledges what no subscriber receives: a PUBACK is not proof of storage."""
    hub_id = HUBS[1]
    hubs.register_hubs(database_url, (hub_id,))
    agent = hubs.start_agent(hub_id, mosquitto_url, tmp_path, *QUICK_RESEND)
    data_dir = tmp_path / hub_id
    try:
        wait_for(lambda: _queue_stats(data_dir).awaiting_receipt >= 5, timeout=30)
        assert hubs.stored(database_url, hub_id) == {}, "nobody subscribed yet"
        _start_ingest(ingest, database_url, mosquitto_url)
        wait_for(lambda: _resent(data_dir) >= 5, timeout=30)
        wait_for(lambda: len(hubs.stored(database_url, hub_id)) >= 20, timeout=30)
    finally:
        _stop(agent)
    assert _assert_exactly_once(database_url, hub_id, data_dir) >= 20


def test_an_agent_killed_mid_stream_and_restarted_loses_and_duplicates_nothing(
    tmp_path: Path, database_url: str, mosquitto_url: str, ingest: list[IngestService]
) -> None:
    hub_id = HUBS[0]
    hubs.register_hubs(database_url, (hub_id,))
    _start_ingest(ingest, database_url, mosquitto_url)
    agent = hubs.start_agent(hub_id, mosquitto_url, tmp_path)
    try:
        wait_for(lambda: len(hubs.stored(database_url, hub_id)) >= 20, timeout=30)
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        stored_at_kill = len(hubs.stored(database_url, hub_id))
        agent = hubs.start_agent(hub_id, mosquitto_url, tmp_path)
        wait_for(lambda: len(hubs.stored(database_url, hub_id)) >= stored_at_kill + 20, timeout=30)
    finally:
        _stop(agent)
    assert _assert_exactly_once(database_url, hub_id, tmp_path / hub_id) >= 40


def _health_rows(database_url: str, hub_id: str) -> list[tuple[int, int, dict[str, int]]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT queue_depth, dropped_total, dropped_by_reason FROM hub_health"
            " WHERE hub_id = %s ORDER BY time",
            (hub_id,),
        ).fetchall()
    return [(int(depth), int(total), dict(reasons)) for depth, total, reasons in rows]


def test_a_full_queue_keeps_the_newest_and_the_platform_sees_the_drops(
    tmp_path: Path, database_url: str, ingest: list[IngestService]
) -> None:
    hub_id = HUBS[0]
    hubs.register_hubs(database_url, (hub_id,))
    broker = MosquittoBroker(tmp_path / "broker", port=free_port())  # not started: offline
    agent = hubs.start_agent(hub_id, broker.url, tmp_path, "--max-messages", "2")
    data_dir = tmp_path / hub_id
    try:
        wait_for(lambda: _queue_stats(data_dir).dropped["queue_full"] >= 2, timeout=30)
        _stop(agent)
        dropped = _queue_stats(data_dir).dropped["queue_full"]
        broker.start()
        _start_ingest(ingest, database_url, broker.url)
        agent = hubs.start_agent(
            hub_id, broker.url, tmp_path, "--max-messages", "2", "--speed", "1"
        )
        wait_for(lambda: _queue_stats(data_dir).depth == 0, timeout=30)
        wait_for(lambda: any(r[0] == 0 for r in _health_rows(database_url, hub_id)), timeout=30)
    finally:
        _stop(agent)
        broker.stop()
    expected = hubs.expected(hub_id, data_dir)
    stored = hubs.stored(database_url, hub_id)
    kept = sorted(at for rid, (_, at) in expected.items() if rid in stored)
    lost = [at for rid, (_, at) in expected.items() if rid not in stored]
    assert lost and kept, "the queue should have overflowed and still delivered"
    assert max(lost) < min(kept), "an older reading was kept while a newer one was dropped"
    _, total, by_reason = [r for r in _health_rows(database_url, hub_id) if r[0] == 0][-1]
    assert total == by_reason["queue_full"] == dropped
    assert by_reason["invalid"] == 0


def test_a_questionnaire_answered_on_the_hub_is_stored_once_by_the_platform(
    tmp_path: Path, database_url: str, mosquitto_url: str, ingest: list[IngestService]
) -> None:
    """The patient's app leaves the answer in the agent's inbox; it travels with the readings."""
    hub_id = HUBS[2]
    hubs.register_hubs(database_url, (hub_id,))
    patient_id = hubs.patients_of(hub_id)[0]
    _start_ingest(ingest, database_url, mosquitto_url)
    agent = hubs.start_agent(hub_id, mosquitto_url, tmp_path)
    inbox = tmp_path / hub_id / INBOX
    authored = datetime(2025, 3, 3, 7, 40, tzinfo=UTC)
    response = build_questionnaire_response(
        patient_id,
        "copd-daily",
        {"breathless": True, "cough": "worse"},
        authored,
        response_id="qr-hub-1",
    )
    try:
        wait_for(inbox.exists, timeout=30)
        (inbox / "qr-hub-1.part").write_text(json.dumps(response))
        (inbox / "qr-hub-1.part").replace(inbox / "qr-hub-1.json")
        wait_for(lambda: _answers(database_url, hub_id), timeout=30)
        wait_for(lambda: _queue_stats(tmp_path / hub_id).depth == 0, timeout=30)
    finally:
        _stop(agent)
    assert _answers(database_url, hub_id) == [
        (patient_id, "copd-daily", {"breathless": True, "cough": "worse"}, "qr-hub-1", authored)
    ]
    assert not (inbox / "qr-hub-1.json").exists()


def _answers(database_url: str, hub_id: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT patient_id, questionnaire, answers, response_id, time"
            " FROM questionnaire_answers WHERE hub_id = %s",
            (hub_id,),
        ).fetchall()
