"""Delivery: queued messages to the broker, oldest first, until the platform's receipt.

The broker's PUBACK marks a message as sent; only a receipt from the platform
(`tilsyn/edge/{hub}/receipt`, see `receipts.py`) deletes it. A message sent without a receipt
within `receipt_timeout_s`, and every sent message after a reconnect, is sent again with the same
message id; the platform stores a repeat as a duplicate and receipts it again.

One message is published at a time and waits for its PUBACK, so messages reach the broker in
queue order. Up to `window` sent messages may await their receipts, so a good link is not held
to one platform round trip per message; a full window pauses sending until receipts come.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from tilsyn.edge.messages import restamp, up_topic
from tilsyn.edge.queue import DiskQueue
from tilsyn.edge.receipts import ClockCheck
from tilsyn.edge.state import AgentState
from tilsyn.mqtt import MqttConnection

log = logging.getLogger(__name__)

PUBLISH_WAIT_S = 30.0  # how long one publish waits for its PUBACK
CONTACT_WRITE_S = 5.0  # how often a live connection refreshes `last_contact` on disk
DEFAULT_RECEIPT_TIMEOUT_S = 60.0
DEFAULT_RECEIPT_WINDOW = 32


@dataclass(frozen=True, slots=True)
class ReceiptPolicy:
    timeout_s: float = DEFAULT_RECEIPT_TIMEOUT_S  # no receipt this long after a send: send again
    window: int = DEFAULT_RECEIPT_WINDOW  # sent messages that may await their receipts at once

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.window < 1:
            raise ValueError("the receipt timeout and window must be positive")


class Publisher(Protocol):
    @property
    def connected(self) -> bool: ...

    @property
    def connections(self) -> int:
        """Counts (re)connections: a receipt for a send before the latest may never come."""
        ...

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

    @property
    def connections(self) -> int:
        return self.connection.connections

    def wait_connected(self, timeout: float) -> bool:
        return self.connection.wait_connected(timeout)

    def send_confirmed(self, topic: str, payload: bytes) -> bool:
        try:
            return self.connection.publish(topic, payload, qos=1, wait=True, timeout=PUBLISH_WAIT_S)
        except (ConnectionError, RuntimeError) as error:  # paho: not connected
            log.info("publish not sent: %s", error)
            return False

    def send(self, topic: str, payload: bytes) -> None:
        self.connection.publish(topic, payload, qos=1)


class Sender(threading.Thread):
    def __init__(
        self,
        hub_id: str,
        queue: DiskQueue,
        state: AgentState,
        publisher: Publisher,
        receipts: ReceiptPolicy | None = None,
        clock: ClockCheck | None = None,
    ) -> None:
        super().__init__(name=f"edge-sender-{hub_id}", daemon=True)
        self.topic = up_topic(hub_id)
        self.queue, self.state, self.publisher = queue, state, publisher
        self.receipts = receipts or ReceiptPolicy()
        self.clock = clock or ClockCheck()
        self.wake = threading.Event()  # set when something was queued or receipted
        self.stopping = threading.Event()
        self.delivered = 0  # sends the broker acknowledged, repeats included
        self._contact_written = 0.0

    def run(self) -> None:
        sending_on = 0  # the connection the sent marks belong to; 0: none yet (a restart)
        while not self.stopping.is_set():
            if not self.publisher.wait_connected(0.5):
                continue
            if self.publisher.connections != sending_on:  # receipts for earlier sends are lost
                sending_on = self.publisher.connections
                self.send_all_again()
            self._note_contact()
            if not self.deliver_next():
                self.wake.wait(1.0)
                self.wake.clear()

    def send_all_again(self) -> None:
        again = self.queue.send_all_again()
        if again:
            log.info("%d messages without receipt are sent again", again)
            self.state.count("resent", again)

    def deliver_next(self) -> bool:
        """Send the oldest due message; False if none is due, the window is full, or the
        broker did not acknowledge it."""
        message = self.queue.next_due(time.time(), self.receipts.timeout_s, self.receipts.window)
        if message is None:
            return False
        body = restamp(message.body, time.time(), self.clock.behind_s)
        if not self.publisher.send_confirmed(self.topic, body):
            return False
        self.queue.mark_sent(message.seq, time.time())
        if message.sent_at is not None:
            self.state.count("resent", 1)
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
