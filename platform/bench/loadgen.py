"""Load for the ingest benchmark: network-server uplinks and edge batches, published at a rate.

Each message carries its publish time (ChirpStack's `time`, the edge batch's reading times), so
the platform side can measure publish-to-commit latency from the rows it commits.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from tilsyn.codecs import encode
from tilsyn.mqtt import MqttConnection

Message = tuple[str, bytes]


@dataclass(frozen=True)
class LoadSpec:
    kind: str  # "uplink" or "edge"
    count: int
    rate: float | None  # messages per second, None for as fast as the broker takes them
    readings_per_message: int = 1
    # Frame counters continue across runs against the same devices: a counter used before
    # is, rightly, a replay to the platform.
    first_fcnt: int = 1
    # "steady": each container reports the same fill all run long, as real ones do over a
    # minute (they fill in days), so the uplinks raise no alert. "churning": a container's
    # readings jump by up to 77 points, so about half of them raise or clear an alert.
    fills: str = "steady"


def uplink(dev_eui: str, fcnt: int, distance_mm: int) -> Message:
    payload = encode("milesight-em310-udl", {"battery_percent": 90, "distance_mm": distance_mm})
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = {
        "deduplicationId": str(uuid.uuid4()),
        "time": now,
        "deviceInfo": {"applicationId": "bench", "devEui": dev_eui, "deviceName": dev_eui},
        "fCnt": fcnt,
        "fPort": 85,
        "data": base64.b64encode(payload).decode(),
        "rxInfo": [{"gatewayId": "0016c001ff10a235", "rssi": -90, "snr": 8.0}],
    }
    return f"application/bench/device/{dev_eui}/event/up", json.dumps(body).encode()


def edge_batch(hub_id: str, patient_id: str, readings: int) -> Message:
    """A pulse oximeter's buffered series: one compact block of (time, value) points."""
    now = time.time()
    points = [[round(now - (readings - i) * 0.001, 3), 95 + i % 4] for i in range(readings)]
    body = {
        "messageId": str(uuid.uuid4()),
        "hubId": hub_id,
        "sentAt": datetime.now(UTC).isoformat(),
        "series": [{"patientId": patient_id, "kind": "spo2", "unit": "%", "points": points}],
    }
    return f"tilsyn/edge/{hub_id}/up", json.dumps(body).encode()


def messages(
    spec: LoadSpec, devices: list[str], patients: list[tuple[str, str]]
) -> Iterator[Message]:
    for i in range(spec.count):
        if spec.kind == "uplink":
            device, reading = i % len(devices), i // len(devices)
            distance = _churning_distance(i) if spec.fills == "churning" else _steady(device)
            yield uplink(devices[device], spec.first_fcnt + reading, distance)
        else:
            hub_id, patient_id = patients[i % len(patients)]
            yield edge_batch(hub_id, patient_id, spec.readings_per_message)


def _steady(device: int) -> int:
    """19-61 % full in the benches' geometry (empty 3000 mm, full 400 mm): below any limit."""
    return 1400 + (device * 37) % 1100


def _churning_distance(message: int) -> int:
    """96 % to 19 % full by the message's place in the run: a container's next reading is
    another fill altogether."""
    return 500 + message % 2000


def publish(
    url: str, spec: LoadSpec, make: Callable[[], Iterator[Message]], client_id: str
) -> tuple[int, float]:
    """Publish at QoS 1 with back-pressure; returns (count, seconds until the broker acked all)."""
    connection = MqttConnection(url, client_id, max_outstanding=5_000)
    connection.connect()
    # Unpaced runs measure the platform, not JSON encoding: make the messages first. Paced runs
    # make each when it is due, so its timestamp is its publish time.
    source = list(make()) if spec.rate is None else make()
    started = time.perf_counter()
    sent = 0
    for topic, body in source:
        if spec.rate is not None:
            _pace(started, sent, spec.rate)
        connection.publish(topic, body, qos=1)
        sent += 1
    connection.publish("bench/done", b"", qos=1, wait=True)
    elapsed = time.perf_counter() - started
    connection.close()
    return sent, elapsed


def _pace(started: float, sent: int, rate: float) -> None:
    due = started + sent / rate
    delay = due - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
