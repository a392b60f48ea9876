"""The demo's stand-in for its simulated hubs' health reports: what the platform's ingest
takes, saying each hub applied the last config pushed to it."""

from __future__ import annotations

import json
import time

from tilsyn.mqtt import Message
from tilsyn.platform.demo_hubs import SimulatedHubHealth
from tilsyn.platform.ingest.edge import health_rows
from tilsyn.platform.ingest.tables import HUB_HEALTH


def _config(hub_id: str, payload: bytes) -> Message:
    return Message(f"tilsyn/edge/{hub_id}/config", payload, 1, 1, time.time())


def test_each_hub_reports_the_config_version_pushed_to_it() -> None:
    hubs = SimulatedHubHealth(["hub-a", "hub-b", "hub-c"])
    hubs.take_config(_config("hub-a", json.dumps({"version": 41, "patients": {}}).encode()))
    hubs.take_config(_config("hub-b", json.dumps({"version": 7, "patients": {}}).encode()))
    hubs.take_config(_config("hub-b", b""))  # withdrawn
    hubs.take_config(_config("hub-c", b"{not json"))
    stored = {}
    for topic, body in hubs.report(time.time()):
        hub_id = topic.split("/")[2]
        accepted = health_rows(hub_id, body)
        ((table, (row,)),) = accepted.rows
        assert table is HUB_HEALTH
        stored[hub_id] = dict(zip(HUB_HEALTH.columns, row, strict=True))
    assert {h: r["config_version"] for h, r in stored.items()} == {
        "hub-a": 41,
        "hub-b": None,
        "hub-c": None,
    }
    assert all(r["queue_depth"] == 0 for r in stored.values())
