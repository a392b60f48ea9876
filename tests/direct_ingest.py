"""Ingest without MQTT, for tests of what happens to messages: classify, then one batch write."""

from __future__ import annotations

import time

import psycopg

from tilsyn.mqtt import Message
from tilsyn.platform.ingest.classify import Classifier
from tilsyn.platform.ingest.directory import DeviceDirectory
from tilsyn.platform.ingest.hygiene import HygieneTracker
from tilsyn.platform.ingest.writer import BatchResult, write_batch


def classifier_for(database_url: str) -> Classifier:
    """A classifier that knows the registry as it is now."""
    directory, hygiene = DeviceDirectory(database_url), HygieneTracker(database_url)
    directory.load()
    hygiene.load()
    return Classifier(directory, hygiene)


def store(
    database_url: str, *messages: tuple[str, bytes], classifier: Classifier | None = None
) -> BatchResult:
    """Classify `(topic, payload)` messages and write them as one batch."""
    classify = (classifier or classifier_for(database_url)).classify
    outcomes = [classify(Message(topic, payload, 1, 0, time.time())) for topic, payload in messages]
    with psycopg.connect(database_url) as conn:
        return write_batch(conn, outcomes)
