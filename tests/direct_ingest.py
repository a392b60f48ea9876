"""Ingest without MQTT, for tests of what happens to messages: classify, then one batch write,
then one round of the hand-hygiene matcher (badge events become counts there)."""

from __future__ import annotations

import time
from datetime import datetime

import psycopg

from tilsyn.mqtt import Message
from tilsyn.platform.ingest.classify import Classifier
from tilsyn.platform.ingest.directory import DeviceDirectory
from tilsyn.platform.ingest.hygiene_matcher import HygieneMatcher
from tilsyn.platform.ingest.writer import BatchResult, write_batch


def classifier_for(database_url: str) -> Classifier:
    """A classifier that knows the registry as it is now."""
    directory = DeviceDirectory(database_url)
    directory.load()
    return Classifier(directory)


def store(
    database_url: str,
    *messages: tuple[str, bytes],
    classifier: Classifier | None = None,
    matcher: HygieneMatcher | None = None,
) -> BatchResult:
    """Classify `(topic, payload)` messages, write them as one batch, and match the badge
    events they hold: with `matcher`, one that remembers earlier batches (a running ingest),
    else a fresh one (an ingest started for this batch)."""
    classify = (classifier or classifier_for(database_url)).classify
    outcomes = [classify(Message(topic, payload, 1, 0, time.time())) for topic, payload in messages]
    with psycopg.connect(database_url) as conn:
        result = write_batch(conn, outcomes)
    match_badges(database_url, matcher)
    return result


def match_badges(
    database_url: str, matcher: HygieneMatcher | None = None, now: datetime | None = None
) -> None:
    """One round of the matcher (`now`: the clock that decides badges gone quiet)."""
    running = matcher or HygieneMatcher(database_url)
    try:
        assert running.match(now), "another matcher holds the role"
    finally:
        if matcher is None:
            running.close()
