"""Through a database outage, classifying goes on from the message it was at, instead of
starting the batch again. (The hand-hygiene matcher's outage: test_hygiene_matcher.py.)

The outage is injected at one call (the real database stays up), since its timing is the
point: between two messages of a batch."""

from __future__ import annotations

import time

import psycopg
import pytest
from lorawan import chirpstack_uplink
from registry_seed import sample_container

from tilsyn.mqtt import Message
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.service import IngestService

pytestmark = pytest.mark.integration
BIN = "24e124710000cafe"
NOWHERE = "mqtt://127.0.0.1:1"  # never connected: these tests call the writer's steps


def _message(f_cnt: int) -> Message:
    topic, body = chirpstack_uplink(BIN, "0175640382d007", f_cnt=f_cnt)
    return Message(topic, body, 1, 0, time.time())


def test_classifying_goes_on_from_where_the_outage_stopped_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("M1", BIN))
    service = IngestService(Settings(), database_url, NOWHERE)
    classify = service._classifier.classify
    seen: list[bytes] = []

    def outage_at_the_second(message: Message) -> object:
        seen.append(message.payload)
        if len(seen) == 2:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return classify(message)

    monkeypatch.setattr(service._classifier, "classify", outage_at_the_second)
    batch = [_message(1), _message(2), _message(3)]
    outcomes = service._classify(batch)
    assert seen == [batch[0].payload, batch[1].payload, batch[1].payload, batch[2].payload]
    assert all(isinstance(o, Accepted) for o in outcomes) and len(outcomes) == 3
    assert service.stats.database_retries == 1
