"""Badge events that would reach ingest after their time was decided: a badge clock running
slow is re-timed like a clock far off, and what still comes too late (a gateway's backlog,
with its real, old network times) is counted per ward and day and shown to infection control
beside the rates, instead of vanishing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from direct_ingest import match_badges, store
from fastapi.testclient import TestClient
from fix_auth import SignIn
from lorawan import chirpstack_uplink
from registry_seed import register_medical_3
from waiting import wait_for

from tilsyn.codecs import encode
from tilsyn.mqtt import MqttConnection
from tilsyn.platform.api.app import create_app
from tilsyn.platform.config import Settings
from tilsyn.platform.ingest.hygiene_matcher import HygieneMatcher
from tilsyn.platform.ingest.service import IngestService
from tilsyn.platform.registry.models import BadgeIn
from tilsyn.platform.registry.store import register_badge

pytestmark = pytest.mark.integration

BADGE_EUI = "70b3d57ed0001b07"
NOW = datetime.now(UTC).replace(microsecond=0)
# A compliant visit: rub, entry, exit, rub (the bedside dispenser 7 is in reach of zone 11).
VISIT = [
    {"offset_s": 0, "event": "dispense", "zone": "patient_zone", "ref": 7},
    {"offset_s": 10, "event": "entry", "zone": "patient_zone", "ref": 11},
    {"offset_s": 120, "event": "exit", "zone": "patient_zone", "ref": 11},
    {"offset_s": 130, "event": "dispense", "zone": "patient_zone", "ref": 7},
]


@pytest.fixture
def ward(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        register_medical_3(conn, "70b3d57ed0001a01")
        register_badge(conn, BadgeIn(dev_eui=BADGE_EUI, ward_id="M3", role="nurse"))
    return database_url


def _badge_uplink(base: datetime, f_cnt: int, sent: datetime) -> tuple[str, bytes]:
    fields = {"message": "badge_events", "time": int(base.timestamp()), "role": "nurse"}
    payload = encode("tilsyn-hygiene-v1", {**fields, "events": VISIT})
    return chirpstack_uplink(BADGE_EUI, payload.hex(), time=sent, f_port=11, f_cnt=f_cnt)


def _counted(database_url: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(opportunities), 0)::int, coalesce(sum(met), 0)::int"
            " FROM hygiene_compliance_daily"
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_a_badge_clock_twenty_minutes_slow_keeps_its_opportunities(ward: str) -> None:
    """Each message arrives 5 minutes after its first event, stamped by a clock 20 minutes
    behind: taken at its word, every visit after the first fell behind the minute ticks and
    was dropped as late."""
    with HygieneMatcher(ward) as running:
        slow = timedelta(minutes=20)
        first = NOW - timedelta(hours=3)
        tick = first
        for visit in range(6):
            real = first + visit * timedelta(minutes=10)
            sent = real + timedelta(minutes=5)
            while tick < sent:
                match_badges(ward, running, now=tick)
                tick += timedelta(minutes=1)
            store(ward, _badge_uplink(real - slow, visit + 1, sent), matcher=running)
        for _ in range(30):
            match_badges(ward, running, now=tick)
            tick += timedelta(minutes=1)
        assert _counted(ward) == (12, 12)
        with psycopg.connect(ward) as conn:
            assert conn.execute("SELECT count(*) FROM hygiene_dropped_counts").fetchone() == (0,)


@pytest.fixture
def platform(ward: str, mqtt_url: str) -> Iterator[tuple[TestClient, MqttConnection]]:
    run = uuid.uuid4().hex[:8]
    settings = Settings(ingest_client_id=f"ingest-{run}", ingest_share_group=f"g{run}")
    ingest = IngestService(settings, ward, mqtt_url)
    ingest.start()
    publisher = MqttConnection(mqtt_url, f"network-server-{run}")
    publisher.connect()
    with TestClient(create_app(ward, ingest)) as client:
        yield client, publisher
    publisher.close()
    ingest.stop()


def test_events_that_came_too_late_are_shown_beside_the_rates(
    platform: tuple[TestClient, MqttConnection], sign_in: SignIn
) -> None:
    client, publisher = platform
    client.headers.update(sign_in("infection_control"))
    # A visit just now, then one from two hours ago that a gateway forwards only now, with
    # its real network time: the badge's two hours ago are decided, so it cannot count.
    backlog = NOW - timedelta(hours=2)
    publisher.publish(*_badge_uplink(NOW - timedelta(minutes=3), 1, NOW), qos=1)
    publisher.publish(*_badge_uplink(backlog, 2, backlog + timedelta(minutes=5)), qos=1)
    day = backlog.astimezone(ZoneInfo("Europe/Oslo")).date()

    def dropped() -> list[dict[str, Any]] | None:
        answer = client.get("/api/hygiene/dropped")
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found or None

    assert wait_for(dropped) == [
        {"ward_id": "M3", "day": day.isoformat(), "reason": "late", "events": 4, "opportunities": 2}
    ]
    rows = client.get("/api/hygiene/compliance", params={"period": "day", "days": 2}).json()
    (cell,) = [r for r in rows if r["period"] == day.isoformat()]
    assert (cell["ward_id"], cell["zone_type"], cell["late_opportunities"]) == (
        "M3",
        "patient_zone",
        2,
    )
    # The other roles cannot read it.
    assert client.get("/api/hygiene/dropped", headers=sign_in("operator")).status_code == 403
