"""Processes of the ingest benchmark: ingest workers, a plain subscriber, and publishers.

Each runs in its own process (spawned) so that, as in production, they do not share a GIL.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from tilsyn.mqtt import Message, MqttConnection
from tilsyn.platform.bench import loadgen
from tilsyn.platform.config import Settings
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.service import IngestService
from tilsyn.platform.ingest.tables import CONTAINER_READINGS

Queue = "multiprocessing.Queue[Any]"


def ingest_worker(database_url: str, mqtt_url: str, group: str, stop: Any, results: Any) -> None:
    """One ingest process; reports its counters and publish-to-commit latencies when stopped."""
    latencies: list[float] = []
    last_commit = [0.0]

    def measure(stored: Sequence[Accepted], committed_at: float) -> None:
        if stored:
            last_commit[0] = committed_at
        for outcome in stored:
            for table, rows in outcome.rows:
                if table is CONTAINER_READINGS:
                    latencies.extend(committed_at - row[0].timestamp() for row in rows)

    settings = Settings(
        ingest_client_id=f"bench-ingest-{uuid.uuid4().hex[:6]}", ingest_share_group=group
    )
    service = IngestService(settings, database_url, mqtt_url, observers=[measure])
    service.start()
    stop.wait()
    service.stop()
    results.put(
        {
            "stored": service.stats.stored,
            "rows": service.stats.rows,
            "duplicates": service.stats.duplicates,
            "dead_letters": service.stats.dead_letters,
            "latencies": latencies,
            "last_commit": last_commit[0],
        }
    )


def plain_subscriber(mqtt_url: str, expected: int, ready: Any, results: Any) -> None:
    """The ceiling: a QoS 1 subscriber that only counts, no platform behind it."""
    received = 0
    first = last = 0.0
    done = threading.Event()

    def count(message: Message) -> None:
        nonlocal received, first, last
        last = time.perf_counter()
        if received == 0:
            first = last
        received += 1
        if received >= expected:
            done.set()

    connection = MqttConnection(mqtt_url, f"bench-plain-{uuid.uuid4().hex[:6]}")
    connection.subscribe("application/+/device/+/event/up", 1, count)
    connection.connect()
    ready.set()
    done.wait(timeout=600)
    connection.close()
    results.put({"received": received, "seconds": last - first})


def publisher(
    mqtt_url: str,
    spec: loadgen.LoadSpec,
    devices: list[str],
    patients: list[tuple[str, str]],
    results: Any,
) -> None:
    sent, seconds = loadgen.publish(
        mqtt_url,
        spec,
        lambda: loadgen.messages(spec, devices, patients),
        f"bench-publisher-{uuid.uuid4().hex[:6]}",
    )
    started = time.time() - seconds  # when publishing began, after making the messages
    results.put({"sent": sent, "seconds": seconds, "started": started})


def spawn() -> multiprocessing.context.SpawnContext:
    return multiprocessing.get_context("spawn")
