"""Through a database outage, ingest keeps what it has worked out: classifying goes on from
the message it was at (a badge's events taken twice would count twice), and hand-hygiene
counts decided by the clock wait in memory until they can be stored.

The outage is injected at one call (the real database stays up), since its timing is the
point: between two messages of a batch, and at the minute's tick."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from lorawan import chirpstack_uplink
from registry_seed import sample_container

from tilsyn.mqtt import Message
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.service import IngestService
from tilsyn.platform.ingest.tables import HYGIENE_COMPLIANCE_COUNTS

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


def test_counts_decided_during_an_outage_are_stored_after_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = IngestService(Settings(), database_url, NOWHERE)
    day = datetime.now(UTC).date()
    row = (datetime.now(UTC) - timedelta(hours=1), "M3", "patient_zone", day, "nurse", 2, 1)
    decided = Accepted("hygiene-tick:test", ((HYGIENE_COMPLIANCE_COUNTS, (row,)),))
    ticks = iter([decided, None])
    monkeypatch.setattr(service._hygiene, "decide_quiet_badges", lambda now: next(ticks))
    monkeypatch.setattr(service._hygiene, "load", lambda: None)
    connect = service._connect

    def database_down() -> psycopg.Connection:
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(service, "_connect", database_down)
    assert service._decide_quiet_badges(None) is None
    monkeypatch.setattr(service, "_connect", connect)
    service._next_tick = 0.0  # the next loop round, however soon
    conn = service._decide_quiet_badges(None)
    assert conn is not None
    conn.close()
    with psycopg.connect(database_url) as check:
        stored = check.execute(
            "SELECT ward_id, opportunities, met FROM hygiene_compliance_counts"
        ).fetchall()
    assert stored == [("M3", 2, 1)]
