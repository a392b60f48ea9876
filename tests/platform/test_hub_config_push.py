"""What a nurse sets reaches the patient's home hub: schedules, thresholds and the plan's
instructions pushed retained to tilsyn/edge/{hub}/config, taken by the edge agent's own
parser, once per change, and again after the broker was away."""

from __future__ import annotations

import json
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
    assert patient.schedule == {
        "blood_pressure": ["08:00", "20:00"],
        "spo2": ["09:00"],
        # Named with no times, or the hub would prompt its devices' own default times.
        "heart_rate": [],
        "body_temperature": [],
        "respiratory_rate": [],
        "body_weight": [],
        "blood_glucose": [],
    }
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


def test_a_configuration_the_broker_lost_is_published_again_within_the_hour(
    registered: str, platform_mqtt: MqttConnection, mosquitto_url: str, tmp_path: Path
) -> None:
    pusher = ConfigPusher(registered, platform_mqtt)
    pusher.push_changed()
    # The broker restarted from a save older than the push: nothing retained for H1.
    platform_mqtt.publish(config_topic("H1"), b"", qos=1, retain=True, wait=True)
    assert pusher.push_changed() == [], "within the hour nothing unchanged is sent"
    with psycopg.connect(registered) as conn:
        (version,) = conn.execute(
            "SELECT version FROM hub_config_pushed WHERE hub_id = 'H1'"
        ).fetchone() or (0,)
        conn.execute("UPDATE hub_config_pushed SET pushed_at = now() - interval '61 minutes'")
    assert sorted(pusher.push_changed()) == ["H1", "H2"]
    agent = ConfigStore(Database(tmp_path))
    assert agent.offer(_retained(mosquitto_url, "H1"))
    assert agent.current is not None and agent.current.version == version, "the same version"


def test_a_hub_whose_configuration_no_broker_packet_holds_does_not_hold_up_the_others(
    registered: str, platform_mqtt: MqttConnection, mosquitto_url: str
) -> None:
    many = [f"Q{n}" for n in range(300)]
    with psycopg.connect(registered) as conn:
        for patient in many:
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
            words = Instructions(red="r" * 500, yellow="y" * 500)
            save_instructions(conn, patient, words, "nurse")
        register_hub(conn, HubIn(hub_id="H-BIG", unit="Våler", patient_ids=many))
    assert sorted(ConfigPusher(registered, platform_mqtt).push_changed()) == ["H1", "H2"]
    assert platform_mqtt.connected
    assert json.loads(_retained(mosquitto_url, "H2"))["patients"]["P2"]["schedule"] == {}


def test_one_patients_row_the_agent_would_refuse_costs_only_that_patients_settings(
    registered: str, platform_mqtt: MqttConnection, mosquitto_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(registered) as conn:
        for patient in ("P3", "P4"):
            register_patient(conn, PatientIn(patient_id=patient, unit="Våler"))
        register_hub(conn, HubIn(hub_id="H3", unit="Våler", patient_ids=["P3", "P4"]))
        save_schedule(conn, "P3", [ScheduledTask(kind="spo2", times=["09:00"])])
        # Written past the API, which checks clock times.
        conn.execute(
            "INSERT INTO patient_schedules (patient_id, kind, times) VALUES ('P4', 'spo2',"
            " '{25:00}')"
        )
    assert "H3" in ConfigPusher(registered, platform_mqtt).push_changed()
    agent = ConfigStore(Database(tmp_path))
    assert agent.offer(_retained(mosquitto_url, "H3")), "the hub takes the rest"
    kept = agent.patient("P3")
    assert kept is not None and {k: v for k, v in kept.schedule.items() if v} == {"spo2": ["09:00"]}
    assert agent.patient("P4") is None


def test_weekdays_reach_the_hub_with_the_times_of_their_kind(
    registered: str, platform_mqtt: MqttConnection, mosquitto_url: str, tmp_path: Path
) -> None:
    """Weight on Mondays and Thursdays; blood pressure by its systolic value on Mondays and by
    its diastolic value on Fridays: the hub's one blood-pressure prompt is due on both days."""
    with psycopg.connect(registered) as conn:
        save_schedule(
            conn,
            "P1",
            [
                ScheduledTask(kind="body_weight", times=["08:00"], weekdays=[4, 1]),
                ScheduledTask(kind="systolic_bp", times=["08:00"], weekdays=[1]),
                ScheduledTask(kind="diastolic_bp", times=["08:00"], weekdays=[5]),
                ScheduledTask(kind="spo2", times=["09:00"]),
            ],
        )
    ConfigPusher(registered, platform_mqtt).push_changed()
    agent = ConfigStore(Database(tmp_path))
    assert agent.offer(_retained(mosquitto_url, "H1"))
    patient = agent.patient("P1")
    assert patient is not None
    assert patient.weekdays == {"body_weight": [1, 4], "blood_pressure": [1, 5]}
    assert "spo2" in patient.schedule and "spo2" not in patient.weekdays, "daily"


def test_a_task_a_nurse_removes_is_no_longer_prompted_by_the_hub(
    registered: str, platform_mqtt: MqttConnection, mosquitto_url: str, tmp_path: Path
) -> None:
    """P1's blood pressure is taken off her plan: the hub gets it with no times, which its agent
    takes over the device's default times. P2 has no schedule on the platform: his hub keeps
    its own."""
    pusher = ConfigPusher(registered, platform_mqtt)
    pusher.push_changed()
    with psycopg.connect(registered) as conn:
        save_schedule(conn, "P1", [ScheduledTask(kind="spo2", times=["09:00"])])
    assert pusher.push_changed() == ["H1"]
    agent = ConfigStore(Database(tmp_path))
    assert agent.offer(_retained(mosquitto_url, "H1"))
    patient = agent.patient("P1")
    assert patient is not None
    assert patient.schedule["blood_pressure"] == []
    assert patient.schedule["spo2"] == ["09:00"]
    assert json.loads(_retained(mosquitto_url, "H2"))["patients"]["P2"]["schedule"] == {}
