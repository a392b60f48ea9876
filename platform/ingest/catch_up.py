"""The catch-up session of an ingest worker in a share group.

Mosquitto 2.0 restores a persistent session's ordinary subscriptions after a crash, but not
its shared ones: uplinks that network servers publish to the restarted broker before the
workers have subscribed again reach nobody, and a network server does not send them again
(hubs do, until the platform's receipt). So each worker also holds a second persistent
session with ordinary subscriptions to the same topics. The broker queues for it whatever
arrives while it is away. After each reconnection that finds the session kept (a broker
restored from its store, or this worker back after a stop) the worker stores what this
session receives for `WINDOW_S` seconds, until the share group has surely subscribed again;
the copies the group also received are the same messages, and the idempotency keys keep the
second copy out (counted as duplicates). Outside that window, and after a connection to a
session new to the broker (nothing can have been missed), its messages are acknowledged and
dropped: the group stores them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from tilsyn.mqtt import Message, MqttConnection

log = logging.getLogger(__name__)

# The workers reconnect within 10 s (MqttConnection's longest back-off) and subscribe at once;
# three times that covers a broker that comes back slowly.
WINDOW_S = 30.0

Store = Callable[[Message, MqttConnection], None]


class CatchUpSession:
    def __init__(
        self,
        mqtt_url: str,
        client_id: str,
        topics: tuple[str, ...],
        store: Store,
        ca_file: str | None = None,
        window_s: float = WINDOW_S,
    ) -> None:
        self._store = store
        self._window_s = window_s
        self._lock = threading.Lock()
        self._connections_seen = 0
        self._storing_until = 0.0
        self.stored = 0  # messages handed to ingest, duplicates included
        self.dropped = 0  # messages the share group stores
        self.client_id = f"{client_id}-catch-up"
        self.mqtt = MqttConnection(
            mqtt_url,
            self.client_id,
            manual_ack=True,
            persistent_session=True,
            ca_file=ca_file,
        )
        for topic in topics:
            self.mqtt.subscribe(topic, 1, self._received)

    def start(self) -> None:
        self.mqtt.connect()

    def close(self) -> None:
        self.mqtt.close()

    @property
    def storing(self) -> bool:
        """Within the window after a (re)connection."""
        with self._lock:
            return time.monotonic() < self._storing_until

    def _received(self, message: Message) -> None:
        with self._lock:
            # paho calls on_connect before it hands over what the broker queued.
            if self.mqtt.connections != self._connections_seen:
                self._connections_seen = self.mqtt.connections
                kept = self.mqtt.session_present
                self._storing_until = time.monotonic() + self._window_s if kept else 0.0
                if kept:
                    log.warning(
                        "catch-up session %s kept by the broker: storing what it sends for %.0f s",
                        self.client_id,
                        self._window_s,
                    )
            storing = time.monotonic() < self._storing_until
            if storing:
                self.stored += 1
            else:
                self.dropped += 1
        if storing:
            self._store(message, self.mqtt)
        else:
            self.mqtt.ack(message)
