"""The demo's home hubs are simulated (firmware-sim sends their measurements), not edge agents.
This stands in for the agents' health reports, so the home-care screen shows hubs that work as
working: reporting every minute and running the settings pushed to them. Without it every
demo hub would be listed, and alerted on, as silent after two hours."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence

from tilsyn.edge.messages import health, health_topic
from tilsyn.edge.queue import QueueStats
from tilsyn.mqtt import Message, MqttConnection

log = logging.getLogger(__name__)

HEALTH_EVERY_S = 60.0  # the edge agent's default (`--health-interval`)
CONFIG_TOPICS = "tilsyn/edge/+/config"


class SimulatedHubHealth:
    """Each hub's health report, every `every_s`, saying it applied the last config pushed."""

    def __init__(self, hub_ids: Sequence[str], every_s: float = HEALTH_EVERY_S) -> None:
        self.hub_ids = tuple(hub_ids)
        self.every_s = every_s
        self.applied: dict[str, int] = {}

    def take_config(self, message: Message) -> None:
        hub_id = message.topic.split("/")[2]
        if not message.payload:  # withdrawn: the hub was taken out of the registry
            self.applied.pop(hub_id, None)
            return
        try:
            self.applied[hub_id] = int(json.loads(message.payload)["version"])
        except (ValueError, KeyError, TypeError) as error:
            log.warning("demo hub %s: config not taken: %s", hub_id, error)

    def report(self, now: float) -> list[tuple[str, bytes]]:
        """One round of health reports: (topic, body) per hub."""
        idle = QueueStats(depth=0, size_bytes=0, oldest_queued_at=None)
        return [
            (
                health_topic(hub_id),
                health(
                    hub_id,
                    now,
                    idle,
                    now,
                    0,
                    (),
                    {"version": self.applied.get(hub_id), "refused": 0, "lastRefusal": None},
                ),
            )
            for hub_id in self.hub_ids
        ]

    def run(self, mqtt_url: str, stop: threading.Event, ca_file: str | None = None) -> None:
        connection = MqttConnection(mqtt_url, "tilsyn-demo-hub-health", ca_file=ca_file)
        connection.subscribe(CONFIG_TOPICS, 1, self.take_config)
        connection.connect()
        try:
            while not stop.is_set():
                for topic, body in self.report(time.time()):
                    connection.publish(topic, body, 1)
                stop.wait(self.every_s)
        finally:
            connection.close()
