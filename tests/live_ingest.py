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
