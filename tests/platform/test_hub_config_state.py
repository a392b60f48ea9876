"""What became of each hub's configuration: a removed hub's retained config is cleared from
the broker (even by a platform restarted since), one too big to send is shown with the hub's
health and logged once per change, and the version the hub reports applied is stored and
compared with the one pushed."""

from __future__ import annotations

import logging
import queue
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from direct_ingest import store
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.edge.config import ConfigStore
from tilsyn.edge.db import Database
from tilsyn.edge.messages import health, health_topic
from tilsyn.edge.queue import QueueStats
from tilsyn.mqtt import Message, MqttConnection
from tilsyn.platform.api.app import create_app
from tilsyn.platform.clinical.plan import Threshold
from tilsyn.platform.patients.hub_config import ConfigPusher, config_topic
from tilsyn.platform.patients.instructions import Instructions, save_instructions
from tilsyn.platform.patients.thresholds import save_threshold
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

pytestmark = pytest.mark.integration

# The broker lives for the whole session: hub ids no other test pushes to.
KEPT, REMOVED, BIG, FOLLOWED = "H-KEPT", "H-REMOVED", "H-TOO-BIG", "H-FOLLOWED"


def _connected(mosquitto_url: str) -> MqttConnection:
    connection = MqttConnection(mosquitto_url, f"platform-{uuid.uuid4().hex[:8]}")
    connection.connect()
    return connection


def _retained(mosquitto_url: str, hub_id: str) -> bytes | None:
    """What a hub connecting now receives on its config topic; None when nothing is retained.
    A marker published after subscribing comes after any retained message."""
    received: queue.Queue[Message] = queue.Queue()
    marker = f"test/marker/{uuid.uuid4()}"
    reader = MqttConnection(mosquitto_url, f"reader-{uuid.uuid4().hex[:8]}")
    reader.subscribe(config_topic(hub_id), 1, received.put)
    reader.subscribe(marker, 1, received.put)
    reader.connect()
    try:
        reader.publish(marker, b"-", qos=1, wait=True)
        first = received.get(timeout=5)
        return None if first.topic == marker else first.payload
    finally:
        reader.close()


def _shown(database_url: str, sign_in: SignIn) -> dict[str, dict[str, Any]]:
    with TestClient(create_app(database_url)) as client:
        response = client.get("/api/hubs/health", headers=sign_in("home_care_nurse"))
    assert response.status_code == 200
    return {hub["hub_id"]: hub for hub in response.json()}


def test_a_removed_hubs_retained_config_is_cleared_by_a_restarted_platform(
    database_url: str, mosquitto_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        for patient in ("P-KEPT", "P-REMOVED"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
        register_hub(conn, HubIn(hub_id=KEPT, unit="Våler", patient_ids=["P-KEPT"]))
        register_hub(conn, HubIn(hub_id=REMOVED, unit="Våler", patient_ids=["P-REMOVED"]))
    before = _connected(mosquitto_url)
    try:
        assert sorted(ConfigPusher(database_url, before).push_changed()) == [KEPT, REMOVED]
    finally:
        before.close()  # the platform stops
    assert _retained(mosquitto_url, REMOVED) is not None
    with psycopg.connect(database_url) as conn:  # removed while the platform was down
        conn.execute("DELETE FROM hub_patients WHERE hub_id = %s", (REMOVED,))
        conn.execute("DELETE FROM hubs WHERE hub_id = %s", (REMOVED,))

    after = _connected(mosquitto_url)
    try:
        assert ConfigPusher(database_url, after).push_changed() == []
    finally:
        after.close()
    assert _retained(mosquitto_url, REMOVED) is None, "the removed hub's config is cleared"
    assert _retained(mosquitto_url, KEPT) is not None, "another hub's stays"
    with psycopg.connect(database_url) as conn:
        hubs = [hub for (hub,) in conn.execute("SELECT hub_id FROM hub_config_pushed")]
    assert hubs == [KEPT], "the removed hub's pushed state is forgotten"


def test_a_config_too_big_to_send_is_shown_with_the_hubs_health_and_logged_once_per_change(
    database_url: str, mosquitto_url: str, sign_in: SignIn, caplog: pytest.LogCaptureFixture
) -> None:
    many = [f"P-BIG-{n}" for n in range(300)]
    with psycopg.connect(database_url) as conn:
        for patient in many:
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
            save_instructions(conn, patient, Instructions(red="r" * 500, yellow="y" * 500), "n")
        register_hub(conn, HubIn(hub_id=BIG, unit="Våler", patient_ids=many))

    def refusals() -> int:
        return sum(BIG in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)

    caplog.set_level(logging.INFO, logger="tilsyn.platform.patients.hub_config")
    mqtt = _connected(mosquitto_url)
    try:
        for _ in range(3):
            assert ConfigPusher(database_url, mqtt).push_changed() == []
        assert refusals() == 1, "said once, not every round, nor again after a restart"
        shown = _shown(database_url, sign_in)[BIG]
        assert "bytes, more than the 250000 a broker packet takes" in shown["config_unsent"]
        assert shown["config_unsent_since"] is not None
        assert (shown["config_pushed_version"], shown["config_behind"]) == (None, True)

        with psycopg.connect(database_url) as conn:
            save_instructions(conn, many[0], Instructions(red="call", yellow="y" * 500), "n")
        ConfigPusher(database_url, mqtt).push_changed()
        ConfigPusher(database_url, mqtt).push_changed()
        assert refusals() == 2, "a change that is still too big is said once more"

        with psycopg.connect(database_url) as conn:
            conn.execute(
                "DELETE FROM hub_patients WHERE hub_id = %s AND patient_id <> %s", (BIG, many[0])
            )
        assert ConfigPusher(database_url, mqtt).push_changed() == [BIG]
    finally:
        mqtt.close()
    shown = _shown(database_url, sign_in)[BIG]
    assert (shown["config_unsent"], shown["config_unsent_since"]) == (None, None)
    assert shown["config_pushed_version"] is not None
    assert refusals() == 2


def _report_health(database_url: str, agent: ConfigStore, sent_at: float) -> None:
    """The agent's health report, as the edge agent builds it, through the ingest."""
    stats = QueueStats(depth=0, size_bytes=0, oldest_queued_at=None)
    body = health(FOLLOWED, sent_at, stats, sent_at, 0, [], agent.summary())
    result = store(database_url, (health_topic(FOLLOWED), body))
    assert result.stored == 1


def test_the_version_a_hub_applied_is_stored_and_compared_with_the_one_pushed(
    database_url: str, mosquitto_url: str, sign_in: SignIn, tmp_path: Path
) -> None:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P-FOLLOWED", unit="Våler"))
        register_hub(conn, HubIn(hub_id=FOLLOWED, unit="Våler", patient_ids=["P-FOLLOWED"]))
    mqtt = _connected(mosquitto_url)
    pusher = ConfigPusher(database_url, mqtt)
    agent = ConfigStore(Database(tmp_path))
    try:
        assert pusher.push_changed() == [FOLLOWED]
        assert agent.offer(_retained(mosquitto_url, FOLLOWED) or b"")
        assert agent.current is not None
        first = agent.current.version
        _report_health(database_url, agent, time.time() - 2)
        shown = _shown(database_url, sign_in)[FOLLOWED]
        assert (shown["config_pushed_version"], shown["config_applied_version"]) == (first, first)
        assert shown["config_behind"] is False

        with psycopg.connect(database_url) as conn:
            spo2 = Threshold(
                kind="spo2", green_low=94, green_high=None, yellow_low=90, yellow_high=None
            )
            save_threshold(conn, "P-FOLLOWED", spo2, "nurse", replace=True)
        assert pusher.push_changed() == [FOLLOWED]
        shown = _shown(database_url, sign_in)[FOLLOWED]
        assert shown["config_pushed_version"] > first
        assert (shown["config_applied_version"], shown["config_behind"]) == (first, True)
        # Two hours on, still not applied: the hourly republish of the same version does not
        # start the grace again (the problem used to vanish for 10 minutes every hour).
        with psycopg.connect(database_url) as conn:
            conn.execute(
                "UPDATE hub_config_pushed SET pushed_at = pushed_at - interval '2 hours',"
                " version_pushed_at = version_pushed_at - interval '2 hours'"
            )
        assert pusher.push_changed() == [FOLLOWED], "republished"
        pushed = _shown(database_url, sign_in)[FOLLOWED]["config_pushed_version"]
        assert _shown(database_url, sign_in)[FOLLOWED]["problems"] == [
            f"runs settings version {first}, not {pushed}"
        ]

        assert agent.offer(_retained(mosquitto_url, FOLLOWED) or b"")
        _report_health(database_url, agent, time.time() - 1)
    finally:
        mqtt.close()
    shown = _shown(database_url, sign_in)[FOLLOWED]
    assert shown["config_applied_version"] == shown["config_pushed_version"] > first
    assert shown["config_behind"] is False
    with psycopg.connect(database_url) as conn:
        stored = conn.execute(
            "SELECT config_version FROM hub_health WHERE hub_id = %s ORDER BY time", (FOLLOWED,)
        ).fetchall()
    assert stored == [(first,), (shown["config_applied_version"],)]
