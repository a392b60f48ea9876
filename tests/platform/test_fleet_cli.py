"""`tilsyn fleet`: the simulated fleets against a broker, registered in the database first."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from stopping import interrupt
from waiting import wait_for

from tilsyn.broker.local import MosquittoBroker, find_mosquitto
from tilsyn.mqtt import MqttConnection

pytestmark = pytest.mark.integration


def _fleet(database_url: str, mqtt_url: str, *args: str) -> subprocess.Popen[str]:
    env = os.environ | {"DATABASE_URL": database_url, "MQTT_URL": mqtt_url}
    tilsyn = Path(sys.executable).parent / "tilsyn"
    return subprocess.Popen(
        [str(tilsyn), "fleet", "--containers", "5", "--speed", "60", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(fleet: subprocess.Popen[str]) -> str:
    return interrupt(fleet, 30, "the fleets")


@pytest.fixture
def quiet_broker(tmp_path: Path) -> Iterator[str]:
    """A broker of this test's own: what it hears is the fleet's alone (the session's broker
    carries whatever other tests' agents still publish)."""
    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    with MosquittoBroker(tmp_path / "mosquitto") as broker:
        yield broker.url


def test_the_fleets_register_their_devices_and_report(database_url: str, quiet_broker: str) -> None:
    heard: list[str] = []
    listener = MqttConnection(quiet_broker, "fleet-listener")
    listener.subscribe("application/#", 0, lambda m: heard.append(m.topic))
    listener.subscribe("tilsyn/edge/#", 0, lambda m: heard.append(m.topic))
    listener.connect()
    fleet = _fleet(database_url, quiet_broker, "--register")
    try:
        wait_for(lambda: any("/event/up" in t for t in heard), timeout=60)
    finally:
        listener.close()
        output = _stop(fleet)
    assert fleet.returncode == 0, output
    assert "Traceback" not in output, output
    with psycopg.connect(database_url) as conn:
        containers = conn.execute("SELECT count(*) FROM containers").fetchone()
        dispensers = conn.execute("SELECT count(*) FROM dispensers").fetchone()
        hubs = conn.execute("SELECT count(*) FROM hubs").fetchone()
    assert containers == (5,) and dispensers is not None and dispensers[0] > 0
    assert hubs == (0,), "home hubs only when asked for: they publish on topics of their own"
    assert not any(t.startswith("tilsyn/edge/") for t in heard)


def test_an_unknown_scenario_is_refused_with_the_known_ones(
    database_url: str, mosquitto_url: str
) -> None:
    fleet = _fleet(database_url, mosquitto_url, "--scenarios", "herning,oslo")
    output, _ = fleet.communicate(timeout=30)
    assert fleet.returncode != 0
    assert "unknown scenarios ['oslo']: herning, ward, vaaler-home" in output
