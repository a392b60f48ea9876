"""Drill: a home hub offline long enough to fill its disk queue. The oldest messages make room
for the newest, the platform is told how many were dropped, and once the hub is back every
reading it kept is stored: only what was dropped (and reported) is missing."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from drill_figures import DrillReport
from drill_uplinks import start_ingest, time_until
from edge_hubs import (
    dropped_full,
    expected,
    queue_depth,
    register_hubs,
    start_agent,
    stop_agent,
    stored,
)

from tilsyn.broker.local import MosquittoBroker

pytestmark = [pytest.mark.drill, pytest.mark.integration, pytest.mark.slow, pytest.mark.long_drill]
HUB = "vaaler-hub-011"
LIMIT = ("--max-messages", "3")


@pytest.fixture
def registered(database_url: str) -> str:
    register_hubs(database_url, (HUB,))
    return database_url


def _reported_drops(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT dropped_total FROM hub_health WHERE hub_id = %s ORDER BY time DESC LIMIT 1",
            (HUB,),
        ).fetchone()
    return -1 if row is None else int(row[0])


def test_edge_queue_full(registered: str, tmp_path: Path, drill_report: DrillReport) -> None:
    data_dir = tmp_path / HUB
    broker = MosquittoBroker(tmp_path / "broker")  # not started yet: the hub is offline
    agent = start_agent(HUB, broker.url, tmp_path, *LIMIT)
    ingest = None
    try:
        time_until(lambda: dropped_full(data_dir) >= 10, timeout=60)
        stop_agent(agent)  # the cursor stops here: what it measured is now fixed
        dropped = dropped_full(data_dir)
        broker.start()
        ingest = start_ingest(registered, broker.url)
        back = time.monotonic()
        agent = start_agent(HUB, broker.url, tmp_path, *LIMIT, "--speed", "1")
        time_until(lambda: queue_depth(data_dir) == 0, timeout=120)
        recovery_s = time.monotonic() - back
        time_until(lambda: _reported_drops(registered) == dropped, timeout=30)
    finally:
        stop_agent(agent)
        if ingest is not None:
            ingest.stop()
        broker.stop()
    measured = {rid: at for rid, (_, at) in expected(HUB, data_dir).items()}
    kept = stored(registered, HUB)
    newest_dropped = max((at for rid, at in measured.items() if rid not in kept), default=0.0)
    # Everything measured after the newest dropped reading must be stored.
    lost = [rid for rid, at in measured.items() if at > newest_dropped and rid not in kept]
    drill_report(
        sent=len(measured),
        stored=len(kept),
        lost=len(lost),
        recovery_s=recovery_s,
        note=f"{len(measured) - len(kept)} oldest readings ({dropped} messages) dropped when"
        " full, as designed; the platform was told",
    )
    assert lost == []
    assert kept, "nothing was delivered after the hub came back"
    assert min(at for rid, at in measured.items() if rid in kept) > newest_dropped
