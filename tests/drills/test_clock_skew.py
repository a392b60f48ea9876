"""Drill: devices whose clocks are far off. A dispenser stamping its uses a year ahead or behind
is stored at the network server's time; a home hub's readings stamped in the future must not
become a patient's newest values (they are stored at the hub's sending time, and counted)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from drill_figures import DrillReport
from drill_uplinks import time_until
from lorawan import chirpstack_uplink

from tilsyn.codecs import encode
from tilsyn.codecs.fhir import build_observation
from tilsyn.mqtt import MqttConnection
from tilsyn.platform.ingest.lorawan import MAX_CLOCK_SKEW
from tilsyn.platform.ingest.service import IngestService
from tilsyn.platform.registry.models import DispenserIn, HubIn, PatientIn, WardIn, ZoneIn
from tilsyn.platform.registry.store import (
    register_dispenser,
    register_hub,
    register_patient,
    register_ward,
)

pytestmark = [pytest.mark.drill, pytest.mark.integration, pytest.mark.slow]
DISPENSERS = [f"70b3d57ed0dd{i:04x}" for i in range(10)]
SKEWS = [timedelta(days=365), -timedelta(days=365), timedelta(hours=3), -timedelta(hours=3)]


@pytest.fixture
def registered(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        zones = [ZoneIn(zone_id=i, room_id=f"R{i}", zone_type="patient_zone") for i in range(10)]
        register_ward(conn, WardIn(ward_id="W1", name="Ward 1", zones=zones))
        for i, dev_eui in enumerate(DISPENSERS):
            dispenser = DispenserIn(
                dev_eui=dev_eui, ward_id="W1", dispenser_id=i, zone_id=i, room_id=f"R{i}"
            )
            register_dispenser(conn, dispenser)
        register_patient(conn, PatientIn(patient_id="P-1", unit="Våler"))
        register_hub(conn, HubIn(hub_id="hub-skew", unit="Våler", patient_ids=["P-1"]))
    return database_url


def _publish(mqtt_url: str, messages: list[tuple[str, bytes]]) -> None:
    connection = MqttConnection(mqtt_url, f"skew-{uuid.uuid4().hex[:6]}")
    connection.connect()
    try:
        for topic, body in messages:
            assert connection.publish(topic, body, qos=1, wait=True)
    finally:
        connection.close()


def _status(dev_eui: str, device_time: datetime, network_time: datetime, f_cnt: int):
    payload = encode(
        "tilsyn-hygiene-v1",
        {
            "message": "dispenser_status",
            "time": int(device_time.timestamp()),
            "use_count": 100 + f_cnt,
            "refill_percent": 60,
            "battery_percent": 80,
            "uses": [1, 2],
        },
    )
    return chirpstack_uplink(dev_eui, payload.hex(), time=network_time, f_port=10, f_cnt=f_cnt)


def test_clock_skew_on_dispensers(
    ingest: IngestService, database_url: str, mosquitto_url: str, drill_report: DrillReport
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sent = {
        (dev_eui, n): skew
        for n in range(1, 6)
        for i, dev_eui in enumerate(DISPENSERS)
        for skew in [SKEWS[(i + n) % len(SKEWS)]]
    }
    started = time.monotonic()
    _publish(mosquitto_url, [_status(d, now + skew, now, n) for (d, n), skew in sent.items()])
    time_until(lambda: len(_dispenser_times(database_url)) == len(sent), timeout=30)
    took_s = time.monotonic() - started
    stored = _dispenser_times(database_url)
    kept_network_time = [key for key, at in stored.items() if at == now]
    drill_report(
        sent=len(sent),
        stored=len(stored),
        lost=len(sent.keys() - stored.keys()),
        recovery_s=None,
        note=f"clocks ±3 h and ±1 year: {len(kept_network_time)} stamped with the network"
        f" time (all stored in {took_s:.1f} s)",
    )
    assert stored.keys() == sent.keys()
    assert all(abs(skew) > MAX_CLOCK_SKEW for skew in SKEWS)
    assert len(kept_network_time) == len(sent), "a skewed device time was stored as stamped"


def _dispenser_times(database_url: str) -> dict[tuple[str, int], datetime]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT dev_eui, use_count - 100, time FROM dispenser_status"
        ).fetchall()
    return {(str(dev_eui), int(n)): at for dev_eui, n, at in rows}


def test_clock_skew_on_a_home_hub(
    ingest: IngestService, database_url: str, mosquitto_url: str, drill_report: DrillReport
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    readings = [
        build_observation("P-1", "heart_rate", 70 + i, now + skew, observation_id=f"skew-{i}")
        for i, skew in enumerate([timedelta(days=365), timedelta(hours=3), timedelta(0)])
    ]
    body = {"messageId": "m-skew", "hubId": "hub-skew", "sentAt": now.isoformat()}
    message = json.dumps(body | {"entries": readings}).encode()
    _publish(mosquitto_url, [("tilsyn/edge/hub-skew/up", message)])
    stats = ingest.stats
    time_until(lambda: stats.stored + stats.dead_letters + stats.quarantined > 0, timeout=30)
    with psycopg.connect(database_url) as conn:
        (future,) = conn.execute(
            "SELECT count(*) FROM vital_observations WHERE time > now() + %s", (MAX_CLOCK_SKEW,)
        ).fetchone() or (0,)
        (kept,) = conn.execute("SELECT count(*) FROM vital_observations").fetchone() or (0,)
    drill_report(
        sent=len(readings),
        stored=int(kept),
        lost=0,
        recovery_s=None,
        note=f"meter clocks ahead by 3 h and a year: {future} readings stored in the future,"
        f" {stats.clock_corrections} times corrected",
    )
    assert kept == len(readings), "every reading is kept"
    assert future == 0, "a reading stamped in the future was stored as the patient's newest"
    assert stats.clock_corrections == 2
