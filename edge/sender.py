"""Delivery: the oldest queued message to the broker, deleted only after its PUBACK.

One message is in flight at a time, so delivery is strictly oldest first and an unacknowledged
message is simply sent again (with the same message id) after a reconnect. On a mobile link
that costs one round trip per message of up to 50 readings, far more than a home produces.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from tilsyn.edge.messages import restamp, up_topic
from tilsyn.edge.queue import DiskQueue
from tilsyn.edge.state import AgentState
from tilsyn.mqtt import MqttConnection

log = logging.getLogger(__name__)

# `MqttConnection.publish(wait=True)` waits this long for the PUBACK and returns either way;
# paho's wait ends early only when the message is acknowledged, so an early return is a PUBACK.
PUBLISH_WAIT_S = 30.0
CONTACT_WRITE_S = 5.0  # how often a live connection refreshes `last_contact` on disk


class Publisher(Protocol):
    @property
    def connected(self) -> bool: ...

    def wait_connected(self, timeout: float) -> bool: ...

    def send_confirmed(self, topic: str, payload: bytes) -> bool:
        """Publish at QoS 1; True only once the broker acknowledged it."""
        ...

    def send(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1 without waiting (health reports: the next one replaces it)."""
        ...


class MqttPublisher:
    def __init__(self, connection: MqttConnection) -> None:
        self.connection = connection

    @property
    def connected(self) -> bool:
        return self.connection.connected

    def wait_connected(self, timeout: float) -> bool:
        return self.connection.wait_connected(timeout)

    def send_confirmed(self, topic: str, payload: bytes) -> bool:
        started = time.monotonic()
        try:
            self.connection.publish(topic, payload, qos=1, wait=True)
        except (ConnectionError, RuntimeError) as error:  # paho: not connected
            log.info("publish not sent: %s", error)
            return False
        return time.monotonic() - started < PUBLISH_WAIT_S - 1.0

    def send(self, topic: str, payload: bytes) -> None:
        self.connection.publish(topic, payload, qos=1)


class Sender(threading.Thread):
    def __init__(
        self, hub_id: str, queue: DiskQueue, state: AgentState, publisher: Publisher
    ) -> None:
        super().__init__(name=f"edge-sender-{hub_id}", daemon=True)
        self.topic = up_topic(hub_id)
        self.queue, self.state, self.publisher = queue, state, publisher
        self.wake = threading.Event()  # set when something was queued
        self.stopping = threading.Event()
        self.delivered = 0
        self._contact_written = 0.0

    def run(self) -> None:
        while not self.stopping.is_set():
            if not self.publisher.wait_connected(0.5):
                continue
            self._note_contact()
            if not self.deliver_oldest():
                self.wake.wait(1.0)
                self.wake.clear()

    def deliver_oldest(self) -> bool:
        """Send the oldest message; False if there was none or the broker did not confirm."""
        oldest = self.queue.peek(1)
        if not oldest:
            return False
        message = oldest[0]
        if not self.publisher.send_confirmed(self.topic, restamp(message.body, time.time())):
            return False
        self.queue.remove(message.seq)
        self.delivered += 1
        self._note_contact()
        return True

    def _note_contact(self) -> None:
        now = time.time()
        if now - self._contact_written >= CONTACT_WRITE_S:
            self.state.touch_contact(now)
            self._contact_written = now

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
