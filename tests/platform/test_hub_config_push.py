"""What a nurse sets reaches the patient's home hub: schedules, thresholds and the plan's
instructions pushed retained to tilsyn/edge/{hub}/config, taken by the edge agent's own
parser, once per change, and again after the broker was away."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tilsyn.edge.config import ConfigStore
from tilsyn.edge.db import Database
from tilsyn.mqtt import Message, MqttConnection
from tilsyn.platform.clinical.plan import Threshold
from tilsyn.platform.patients.hub_config import ConfigPusher, config_topic
from tilsyn.platform.patients.instructions import Instructions, save_instructions
from tilsyn.platform.patients.schedules import ScheduledTask, save_schedule
from tilsyn.platform.patients.thresholds import save_threshold
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

pytestmark = pytest.mark.integration


@pytest.fixture
def registered(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        for patient in ("P1", "P2"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
        register_hub(conn, HubIn(hub_id="H1", unit="Våler", patient_ids=["P1"]))
        register_hub(conn, HubIn(hub_id="H2", unit="Våler", patient_ids=["P2"]))
        spo2 = Threshold(
            kind="spo2", green_low=94, green_high=None, yellow_low=90, yellow_high=None
        )
        save_threshold(conn, "P1", spo2, "nurse", replace=True)
        plan = Instructions(red="Use your rescue pack and call 113", yellow="Rest, then again")
        save_instructions(conn, "P1", plan, "nurse")
        save_schedule(
            conn,
            "P1",
            [
                ScheduledTask(kind="systolic_bp", times=["20:00", "08:00"]),
                ScheduledTask(kind="spo2", times=["09:00"]),
            ],
        )
    return database_url


@pytest.fixture
def platform_mqtt(mosquitto_url: str) -> Iterator[MqttConnection]:
    connection = MqttConnection(mosquitto_url, "platform-config-test")
    connection.connect()
    yield connection
    connection.close()


def _retained(mosquitto_url: str, hub_id: str) -> bytes:
    """What a hub connecting now receives on its config topic."""
    received: queue.Queue[Message] = queue.Queue()
    hub = MqttConnection(mosquitto_url, f"hub-{hub_id}-reader")
    hub.subscribe(config_topic(hub_id), 1, received.put)
    hub.connect()
    try:
        return received.get(timeout=5).payload
    finally:
        hub.close()


def test_a_hub_gets_its_patients_schedule_and_thresholds_as_its_agent_reads_them(
    registered: str, platform_mqtt: MqttConnection, mosquitto_url: str, tmp_path: Path
) -> None:
    pusher = ConfigPusher(registered, platform_mqtt)
    assert sorted(pusher.push_changed()) == ["H1", "H2"]
    agent = ConfigStore(Database(tmp_path))
    assert agent.offer(_retained(mosquitto_url, "H1"))
    patient = agent.patient("P1")
    assert patient is not None
    assert patient.schedule == {"blood_pressure": ["08:00", "20:00"], "spo2": ["09:00"]}
    assert patient.thresholds["spo2"].green_low == 94
    assert patient.instructions.red == "Use your rescue pack and call 113"
    assert agent.patient("P2") is None, "a hub hears only of the patients it serves"
    assert pusher.push_changed() == [], "nothing changed, nothing pushed"

    with psycopg.connect(registered) as conn:
        lower = Threshold(
            kind="spo2", green_low=92, green_high=None, yellow_low=88, yellow_high=None
        )
        save_threshold(conn, "P1", lower, "nurse", replace=True)
    assert pusher.push_changed() == ["H1"]
    assert agent.offer(_retained(mosquitto_url, "H1")), "the new version is newer"
    changed = agent.patient("P1")
    assert changed is not None and changed.thresholds["spo2"].green_low == 92


def test_a_push_the_broker_did_not_take_is_made_once_it_is_back(
    registered: str, mosquitto_url: str, tmp_path: Path
) -> None:
    away = MqttConnection(mosquitto_url, "platform-config-away")
    away.connect()
    away.close()  # as after the broker went down: no connection
    assert ConfigPusher(registered, away).push_changed() == []
    with psycopg.connect(registered) as conn:
        assert conn.execute("SELECT count(*) FROM hub_config_pushed").fetchone() == (0,)
    back = MqttConnection(mosquitto_url, "platform-config-back")
    back.connect()
    try:
        assert sorted(ConfigPusher(registered, back).push_changed()) == ["H1", "H2"]
    finally:
        back.close()
    assert ConfigStore(Database(tmp_path)).offer(_retained(mosquitto_url, "H2"))


def test_versions_only_grow_even_when_the_clock_goes_back(
    registered: str, platform_mqtt: MqttConnection
) -> None:
    clock = iter([5_000, 5_000, 1_000])  # one reading per hub pushed
    pusher = ConfigPusher(registered, platform_mqtt, clock_ms=lambda: next(clock))
    pusher.push_changed()
    with psycopg.connect(registered) as conn:
        save_schedule(conn, "P2", [ScheduledTask(kind="body_weight", times=["07:00"])])
    pusher.push_changed()
    with psycopg.connect(registered) as conn:
        versions = dict(conn.execute("SELECT hub_id, version FROM hub_config_pushed").fetchall())
    assert versions == {"H1": 5_000, "H2": 5_001}
