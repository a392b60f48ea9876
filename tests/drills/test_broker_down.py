"""Drill: Mosquitto is killed (no clean shutdown) while uplinks flow, and started again on the same
port and persistence file. Uplinks the broker had acknowledged must all be stored.

The broker is configured as in production (autosave every 10 s) and the ingest as by default:
one client on a persistent session of its own, which the restarted broker restores from its last
autosave and queues for, even when the network server reconnects before the ingest. With a
share group (scaling out over several workers) Mosquitto 2.0 restores no shared subscription:
uplinks acknowledged before the workers resubscribe would go to nobody, and a network server,
unlike a hub, does not send them again. Each worker's catch-up session (ingest/catch_up.py)
is restored like the single ingest's and stores them; `TILSYN_INGEST_CATCH_UP=false` shows the
loss without it.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from drill_figures import DrillReport
from drill_uplinks import (
    NetworkServer,
    reading_rows,
    start_ingest,
    stored_frames,
    time_until,
    time_until_settled,
)

from tilsyn.broker.local import MosquittoBroker

pytestmark = [pytest.mark.drill, pytest.mark.integration, pytest.mark.slow]


AUTOSAVE_S = 10  # as in broker/mosquitto.conf


class ProductionMosquitto(MosquittoBroker):
    def config_text(self) -> str:
        return super().config_text() + f"autosave_interval {AUTOSAVE_S}\n"


def _drill(
    registered: str,
    work: Path,
    report: DrillReport,
    *,
    count: int,
    outage_s: float,
    ingest_late_s: float = 0.0,
    share_group: str = "",
) -> None:
    broker = ProductionMosquitto(work / "broker", persistent=True)
    broker.start()
    tag = uuid.uuid4().hex[:6]
    ingest = start_ingest(registered, broker.url, tag=tag, share_group=share_group)
    # In production the ingest has been connected for longer than an autosave before any crash.
    time.sleep(AUTOSAVE_S + 2)
    uplinks = NetworkServer(broker.url, count, rate=300.0)
    uplinks.start()
    try:
        time_until(lambda: len(stored_frames(registered)) > count // 5, timeout=30)
        broker.kill()
        if ingest_late_s:
            ingest.stop()
        time.sleep(outage_s)
        broker.start()
        if ingest_late_s:
            time.sleep(ingest_late_s)  # the network server reconnects first
            ingest = start_ingest(registered, broker.url, tag=tag, share_group=share_group)
        backlog = uplinks.sent_so_far()

        def stored_count() -> int:
            return len(stored_frames(registered))

        recovery_s = time_until_settled(lambda: backlog <= stored_frames(registered), stored_count)
        uplinks.join(timeout=180)
        time_until_settled(lambda: stored_count() >= count, stored_count)
    finally:
        ingest.stop()
        broker.stop()
    stored = stored_frames(registered)
    lost = len(uplinks.acknowledged - stored)
    caught_up = ingest.figures().caught_up
    report(
        sent=len(uplinks.sent),
        stored=len(stored),
        lost=lost,
        recovery_s=recovery_s,
        note=f"Mosquitto killed for {outage_s:.0f} s"
        + (", ingest in a share group" if share_group else "")
        + (f", ingest back {ingest_late_s:.0f} s after it" if ingest_late_s else "")
        + (f", {caught_up} caught up" if share_group else ""),
    )
    assert lost == 0
    if ingest_late_s and share_group:
        # The network server published for seconds before the group subscribed again.
        assert caught_up > 0, "the worker's figures show what its catch-up session stored"
    assert reading_rows(registered) == len(stored), "an uplink was stored twice"


def test_broker_down_briefly(registered: str, tmp_path: Path, drill_report: DrillReport) -> None:
    _drill(registered, tmp_path, drill_report, count=1500, outage_s=5.0)


@pytest.mark.long_drill
def test_broker_down_for_a_minute(
    registered: str, tmp_path: Path, drill_report: DrillReport
) -> None:
    _drill(registered, tmp_path, drill_report, count=20_000, outage_s=60.0)


@pytest.mark.long_drill
def test_broker_down_and_ingest_back_last(
    registered: str, tmp_path: Path, drill_report: DrillReport
) -> None:
    _drill(registered, tmp_path, drill_report, count=3000, outage_s=5.0, ingest_late_s=3.0)


def test_broker_down_and_shared_ingest_back_last(
    registered: str, tmp_path: Path, drill_report: DrillReport
) -> None:
    _drill(
        registered,
        tmp_path,
        drill_report,
        count=3000,
        outage_s=5.0,
        ingest_late_s=3.0,
        share_group="scale-out",
    )
