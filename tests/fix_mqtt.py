"""MQTT brokers for the tests: Mosquitto (what production runs) and the in-process amqtt.

Set TILSYN_TEST_MQTT_URL to use another broker instead of starting these.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tilsyn.broker.local import AmqttBroker, MosquittoBroker, find_mosquitto

BROKER_KINDS = ["given"] if os.environ.get("TILSYN_TEST_MQTT_URL") else ["mosquitto", "amqtt"]


@pytest.fixture(scope="session")
def mosquitto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("TILSYN_TEST_MQTT_URL")
    if given:
        yield given
        return
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    with MosquittoBroker(tmp_path_factory.mktemp("mosquitto")) as broker:
        yield broker.url


@pytest.fixture(scope="session")
def amqtt_url() -> Iterator[str]:
    with AmqttBroker() as broker:
        yield broker.url


@pytest.fixture(params=BROKER_KINDS)
def mqtt_url(request: pytest.FixtureRequest) -> str:
    """Each test that uses this runs once against every broker kind."""
    if request.param == "given":
        return os.environ["TILSYN_TEST_MQTT_URL"]
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url
