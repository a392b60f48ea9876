"""A running ingest service and a network server's connection to the same broker, for tests of
what ingest does with messages it receives over MQTT."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.config import Settings
from tilsyn.platform.ingest.service import IngestService


@contextmanager
def live_ingest(database_url: str, mqtt_url: str) -> Iterator[tuple[IngestService, MqttConnection]]:
    run = uuid.uuid4().hex[:8]
    service = IngestService(Settings(ingest_client_id=f"ingest-{run}"), database_url, mqtt_url)
    service.start()
    sender = MqttConnection(mqtt_url, f"network-server-{run}")
    sender.connect()
    try:
        yield service, sender
    finally:
        sender.close()
        service.stop()


def share_group(database_url: str, mqtt_url: str, workers: int = 2) -> list[IngestService]:
    """Ingest workers, not started, that split the stream in an MQTT 5 share group."""
    run = uuid.uuid4().hex[:8]
    return [
        IngestService(
            Settings(ingest_client_id=f"ingest-{run}-{n}", ingest_share_group=f"g{run}"),
            database_url,
            mqtt_url,
        )
        for n in range(workers)
    ]
