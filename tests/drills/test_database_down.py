"""Drill: the database stops while uplinks keep coming, and starts again."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from drill_figures import DrillReport
from drill_uplinks import (
    NetworkServer,
    reading_rows,
    register_containers,
    start_ingest,
    stored_frames,
    time_until,
)

from tilsyn.platform.db.embedded import EmbeddedPostgres
from tilsyn.platform.db.migrate import apply_migrations

pytestmark = [pytest.mark.drill, pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    """A durable server of the drill's own, since the drill stops it."""
    if os.environ.get("TILSYN_TEST_DATABASE_URL"):
        pytest.skip("stops the database server; needs a server the tests start themselves")
    work = Path(tempfile.mkdtemp(prefix="tilsyn-drill-pg-"))
    work.chmod(0o755)
    server = EmbeddedPostgres(work / "data")
    server.start()
    with psycopg.connect(server.url) as conn:
        apply_migrations(conn)
    yield server
    server.stop()
    shutil.rmtree(work, ignore_errors=True)


def _drill(
    server: EmbeddedPostgres, mqtt_url: str, report: DrillReport, *, count: int, outage_s: float
) -> None:
    register_containers(server.url)
    ingest = start_ingest(server.url, mqtt_url)
    uplinks = NetworkServer(mqtt_url, count, rate=400.0)
    uplinks.start()
    try:
        time_until(lambda: len(stored_frames(server.url)) > count // 5, timeout=30)
        server.stop()
        time.sleep(outage_s)  # uplinks keep arriving; the broker holds what ingest cannot take
        server.start()
        backlog = uplinks.sent_so_far()
        waiting = len(backlog - stored_frames(server.url))
        recovery_s = time_until(lambda: backlog <= stored_frames(server.url), timeout=120)
        uplinks.join(timeout=120)
        time_until(lambda: len(stored_frames(server.url)) >= len(uplinks.acknowledged), timeout=60)
        assert ingest.stats.database_retries > 0, "ingest never noticed the outage"
    finally:
        ingest.stop()
    stored = stored_frames(server.url)
    lost = len(uplinks.acknowledged - stored)
    report(
        sent=len(uplinks.sent),
        stored=len(stored),
        lost=lost,
        recovery_s=recovery_s,
        note=f"database down {outage_s:.0f} s, {waiting} uplinks waiting at restart",
    )
    assert lost == 0
    assert reading_rows(server.url) == len(stored), "an uplink was stored twice"


def test_database_down_briefly(
    own_server: EmbeddedPostgres, mosquitto_url: str, drill_report: DrillReport
) -> None:
    _drill(own_server, mosquitto_url, drill_report, count=1500, outage_s=3.0)


@pytest.mark.long_drill
def test_database_down_for_a_minute(
    own_server: EmbeddedPostgres, mosquitto_url: str, drill_report: DrillReport
) -> None:
    _drill(own_server, mosquitto_url, drill_report, count=20_000, outage_s=60.0)
