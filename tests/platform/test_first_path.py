"""The first real path: a ChirpStack uplink through a real broker to the HTTP API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn
from lorawan import chirpstack_uplink
from waiting import wait_for

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.api.app import create_app
from tilsyn.platform.config import Settings
from tilsyn.platform.ingest.service import IngestService

pytestmark = pytest.mark.integration

EM310_VECTOR = "01755C03824408040001"  # DOMAIN.md §2: battery 92 %, distance 2116 mm, tilt
CONTAINER = {
    "container_id": "HER-GLASS-0001",
    "dev_eui": "24E124713B123456",
    "codec": "milesight-em310-udl",
    "waste_kind": "glass",
    "capacity_litres": 2500,
    "empty_distance_mm": 3000,
    "full_distance_mm": 500,
    "latitude": 56.1389,
    "longitude": 8.9735,
    "address": "Bredgade 1, Herning",
}


@pytest.fixture
def platform(
    database_url: str, mqtt_url: str, sign_in: SignIn
) -> Iterator[tuple[TestClient, MqttConnection]]:
    run = uuid.uuid4().hex[:8]
    settings = Settings(ingest_client_id=f"ingest-{run}", ingest_share_group=f"g{run}")
    ingest = IngestService(settings, database_url, mqtt_url)
    ingest.start()
    publisher = MqttConnection(mqtt_url, f"network-server-{run}")
    publisher.connect()
    with TestClient(create_app(database_url, ingest)) as client:
        client.headers.update(sign_in("operator"))
        yield client, publisher
    publisher.close()
    ingest.stop()


def _container(client: TestClient, container_id: str) -> dict[str, Any] | None:
    state: dict[str, Any] = client.get(f"/api/containers/{container_id}").json()
    return state if state.get("time") else None


def test_em310_uplink_reaches_the_api_with_fill(
    platform: tuple[TestClient, MqttConnection],
) -> None:
    client, publisher = platform
    assert client.post("/api/containers", json=CONTAINER).status_code == 201

    topic, body = chirpstack_uplink(CONTAINER["dev_eui"].lower(), EM310_VECTOR)
    publisher.publish(topic, body, qos=1)

    state = wait_for(lambda: _container(client, "HER-GLASS-0001"))
    assert state["distance_mm"] == 2116
    assert state["battery_percent"] == 92
    assert state["tilt"] is True
    # (3000 - 2116) / (3000 - 500) = 35.36 %
    assert state["fill_percent"] == pytest.approx(35.4)
    listed = client.get("/api/containers").json()
    assert [c["container_id"] for c in listed] == ["HER-GLASS-0001"]


def test_unknown_device_is_quarantined(platform: tuple[TestClient, MqttConnection]) -> None:
    client, publisher = platform
    topic, body = chirpstack_uplink("a84041000181c0de", EM310_VECTOR)
    publisher.publish(topic, body, qos=1)

    def quarantined() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = client.get("/api/ingest/quarantine").json()
        return items

    (item,) = wait_for(quarantined)
    assert item["dev_eui"] == "a84041000181c0de"
    assert "unknown device" in item["reason"]
    assert item["topic"] == topic
    assert item["payload_text"] == body.decode()


def test_malformed_and_replayed_messages(platform: tuple[TestClient, MqttConnection]) -> None:
    client, publisher = platform
    client.post("/api/containers", json=CONTAINER)
    dev_eui = CONTAINER["dev_eui"].lower()
    topic, body = chirpstack_uplink(dev_eui, EM310_VECTOR, deduplication_id=str(uuid.uuid4()))
    publisher.publish(topic, body, qos=1)
    publisher.publish(topic, body, qos=1)  # the same deduplicationId again: a replay
    publisher.publish(topic, b"{not json", qos=1)
    _, truncated = chirpstack_uplink(dev_eui, EM310_VECTOR[:-4])
    publisher.publish(topic, truncated, qos=1)

    def dead_letters() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = client.get("/api/ingest/dead-letters").json()
        return items if len(items) == 2 else None

    reasons = {d["payload_text"]: d["reason"] for d in wait_for(dead_letters)}
    assert reasons["{not json"].startswith("not a ChirpStack v4 uplink")
    assert "milesight-em310-udl payload" in reasons[truncated.decode()]
    assert "at byte 8" in reasons[truncated.decode()]
    status = wait_for(lambda: (s := client.get("/api/ingest/status").json())["duplicates"] and s)
    assert status["stored"] == 1
    assert status["duplicates"] == 1
