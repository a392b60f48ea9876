"""Drill: old LoRaWAN frames captured on air are sent again under new deduplication ids (as a
second network server or a replaying attacker would). Each is dead-lettered as a replay; a plain
redelivery (the same id) is dropped as a duplicate."""

from __future__ import annotations

import json
import uuid

import pytest
from drill_figures import DrillReport
from drill_uplinks import DEVICES, NetworkServer, dead_letter_reasons, stored_frames, time_until

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.ingest.service import IngestService

pytestmark = [pytest.mark.drill, pytest.mark.integration, pytest.mark.slow]
FRAMES = 500


def _replay(mqtt_url: str, frames: list[tuple[str, bytes]], *, new_ids: bool) -> None:
    replayer = MqttConnection(mqtt_url, f"replayer-{uuid.uuid4().hex[:6]}")
    replayer.connect()
    try:
        for topic, body in frames:
            event = json.loads(body)
            if new_ids:
                event["deduplicationId"] = str(uuid.uuid4())
            replayer.publish(topic, json.dumps(event).encode(), qos=1)
        assert replayer.publish("drill/replay/end", b"", qos=1, wait=True)
    finally:
        replayer.close()


def test_replay_of_old_frames(
    ingest: IngestService, database_url: str, mosquitto_url: str, drill_report: DrillReport
) -> None:
    originals = NetworkServer(mosquitto_url, FRAMES, rate=1000.0)
    originals.start()
    originals.join(timeout=60)
    time_until(lambda: len(stored_frames(database_url)) == FRAMES, timeout=30)
    captured = originals.sent
    _replay(mosquitto_url, captured, new_ids=True)
    _replay(mosquitto_url, captured[:100], new_ids=False)  # redelivered as they were
    recovery_s = time_until(lambda: len(dead_letter_reasons(database_url)) >= FRAMES, timeout=60)
    time_until(lambda: ingest.stats.duplicates >= 100, timeout=30)
    stored = stored_frames(database_url)
    reasons = dead_letter_reasons(database_url)
    replays = [r for r in reasons if r.startswith("replayed frame: fCnt ")]
    lost = len(originals.acknowledged - stored)
    drill_report(
        sent=FRAMES * 2 + 100,
        stored=len(stored),
        lost=lost,
        recovery_s=recovery_s,
        note=f"{len(replays)} replays dead-lettered,"
        f" {ingest.stats.duplicates} redeliveries dropped",
    )
    assert lost == 0
    assert len(stored) == FRAMES, "a replayed frame was stored"
    assert len(replays) == len(reasons) == FRAMES
    assert {r.split(" of ")[1].split()[0] for r in replays} == set(DEVICES)
