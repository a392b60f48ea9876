"""Drill: a flood of malformed payloads beside good traffic. Every malformed one ends in dead
letters with its reason, and every good uplink is stored."""

from __future__ import annotations

import base64
import json
import random
import time
import uuid

import pytest
from drill_figures import DrillReport
from drill_uplinks import DEVICES, NetworkServer, dead_letter_reasons, stored_frames, time_until
from lorawan import chirpstack_uplink

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.ingest.service import IngestService

pytestmark = [pytest.mark.drill, pytest.mark.integration, pytest.mark.slow]


def malformed(rng: random.Random, i: int) -> tuple[str, bytes]:
    """One of the ways a message goes wrong: noise, broken JSON, a wrong envelope, bad base64,
    a payload the device's codec refuses, a hub message that is not one."""
    dev_eui = DEVICES[i % len(DEVICES)]
    topic, good = chirpstack_uplink(dev_eui, "0175640382d007", f_cnt=10_000 + i)
    kind = i % 6
    if kind == 0:
        return topic, rng.randbytes(rng.randint(1, 300))
    if kind == 1:
        return topic, good[: rng.randint(1, len(good) - 1)]
    if kind == 2:
        return topic, json.dumps({"deduplicationId": "not-a-uuid", "deviceInfo": {}}).encode()
    if kind == 3:
        body = json.loads(good)
        body["data"] = "!!not base64!!"
        return topic, json.dumps(body).encode()
    if kind == 4:  # a well-formed envelope around bytes no Milesight codec accepts
        body = json.loads(good)
        body["data"] = base64.b64encode(b"\xff\xfe" + rng.randbytes(8)).decode()
        return topic, json.dumps(body).encode()
    return f"tilsyn/edge/hub-{i}/up", json.dumps({"messageId": str(uuid.uuid4())}).encode()


def _flood(mqtt_url: str, count: int) -> None:
    rng = random.Random(10)
    flooder = MqttConnection(mqtt_url, f"flood-{uuid.uuid4().hex[:6]}")
    flooder.connect()
    try:
        for i in range(count):
            flooder.publish(*malformed(rng, i), qos=1)
        # QoS 1 on one connection is acknowledged in order: the last PUBACK covers them all.
        assert flooder.publish("drill/flood/end", b"", qos=1, wait=True)
    finally:
        flooder.close()


def _drill(database_url: str, mqtt_url: str, report: DrillReport, *, good: int, bad: int) -> None:
    uplinks = NetworkServer(mqtt_url, good, rate=200.0)
    uplinks.start()
    time_until(lambda: len(stored_frames(database_url)) > 0, timeout=30)
    flood_started = time.monotonic()
    _flood(mqtt_url, bad)
    flood_s = time.monotonic() - flood_started
    during_flood = uplinks.sent_so_far()
    recovery_s = time_until(lambda: during_flood <= stored_frames(database_url), timeout=120)
    uplinks.join(timeout=120)
    time_until(lambda: len(stored_frames(database_url)) >= good, timeout=60)
    time_until(lambda: len(dead_letter_reasons(database_url)) >= bad, timeout=60)
    stored = stored_frames(database_url)
    lost = len(uplinks.acknowledged - stored)
    reasons = dead_letter_reasons(database_url)
    report(
        sent=good + bad,
        stored=len(stored),
        lost=lost,
        recovery_s=recovery_s,
        note=f"{len(reasons)} of {bad} malformed dead-lettered, flood took {flood_s:.1f} s",
    )
    assert lost == 0
    assert len(reasons) == bad, "a malformed message was stored, or dead-lettered twice"
    assert all(reasons), "a dead letter without its reason"


def test_malformed_flood(
    ingest: IngestService, database_url: str, mosquitto_url: str, drill_report: DrillReport
) -> None:
    _drill(database_url, mosquitto_url, drill_report, good=1000, bad=3000)


@pytest.mark.long_drill
def test_malformed_flood_large(
    ingest: IngestService, database_url: str, mosquitto_url: str, drill_report: DrillReport
) -> None:
    _drill(database_url, mosquitto_url, drill_report, good=10_000, bad=60_000)
