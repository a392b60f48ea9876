"""`tilsyn edge status` and the MQTT publisher's PUBACK confirmation."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from waiting import wait_for

from tilsyn.edge.agent import Agent
from tilsyn.edge.sender import MqttPublisher
from tilsyn.edge.sources import MemorySource
from tilsyn.edge.status import print_status
from tilsyn.mqtt import Message, MqttConnection


def test_status_shows_depth_drops_contact_and_config(
    agent: Agent, source: MemorySource, tmp_path: Path
) -> None:
    source.values[("P-2", "body_weight")] = 80.0
    source.values[("P-1", "spo2")] = 140  # invalid
    agent.clock.at += 86_400  # type: ignore[attr-defined]
    agent.measure_once()
    agent.config.offer(b'{"version": "not a number"}')
    out = io.StringIO()
    assert print_status(tmp_path / "data", out) == 0
    lines = {line[:18].strip(): line[19:] for line in out.getvalue().splitlines()}
    assert lines["queue depth"] == "1"
    assert (lines["awaiting receipt"], lines["resent"]) == ("0", "0")
    assert lines["dropped invalid"] == "1"
    assert lines["last contact"] == "never"
    assert lines["configs refused"] == "1"


def test_status_of_a_directory_without_an_agent_fails(tmp_path: Path) -> None:
    out = io.StringIO()
    assert print_status(tmp_path, out) == 1
    assert "no edge agent database" in out.getvalue()


def test_an_unconnected_publisher_confirms_nothing() -> None:
    connection = MqttConnection("mqtt://127.0.0.1:1", "edge-test")
    try:
        assert not MqttPublisher(connection).send_confirmed("tilsyn/edge/hub-1/up", b"{}")
    finally:
        connection.close()


@pytest.mark.integration
def test_a_connected_publisher_confirms_the_brokers_puback(mosquitto_url: str) -> None:
    received: list[Message] = []
    listener = MqttConnection(mosquitto_url, f"listen-{uuid.uuid4().hex[:6]}")
    topic = f"tilsyn/edge/t{uuid.uuid4().hex[:6]}/up"
    listener.subscribe(topic, 1, received.append)
    listener.connect()
    connection = MqttConnection(mosquitto_url, f"edge-{uuid.uuid4().hex[:6]}")
    connection.connect()
    try:
        assert MqttPublisher(connection).send_confirmed(topic, json.dumps({"n": 1}).encode())
    finally:
        connection.close()
    wait_for(lambda: received, timeout=5)
    listener.close()
    assert json.loads(received[0].payload) == {"n": 1}
