"""Queue and delivery speed: `python -m tilsyn.edge.bench`, one `name value unit` per line.

Enqueue pays an fsync per transaction (`synchronous=FULL`). Delivery waits for one PUBACK per
message and, past the receipt window, for the platform's receipts. Here the platform is a client
that receipts each message as it arrives, without a database: what is measured is the agent and
the broker, for a receipt window of 1 and the default.
"""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from tilsyn.broker.local import MosquittoBroker
from tilsyn.edge.db import Database
from tilsyn.edge.messages import pack, up_topic
from tilsyn.edge.queue import DiskQueue
from tilsyn.edge.readings import Reading
from tilsyn.edge.receipts import receipt_topic, settle
from tilsyn.edge.sender import DEFAULT_RECEIPT_WINDOW, MqttPublisher, ReceiptPolicy, Sender
from tilsyn.edge.state import AgentState
from tilsyn.mqtt import Message, MqttConnection
from tilsyn.platform.ingest.receipts import receipts_for

MESSAGES = 2000
HUB = "hub-bench"


def _body(n: int) -> tuple[str, bytes]:
    reading = Reading(
        reading_id=f"r-{n}",
        patient_id="P-1",
        kind="blood_pressure",
        value=(130.0, 80.0),
        taken_at=datetime.now(UTC),
    )
    (message,) = pack(HUB, [reading] * 5, time.time())
    return message.message_id, message.body


def bench_enqueue(queue: DiskQueue) -> float:
    bodies = [_body(n) for n in range(MESSAGES)]
    started = time.perf_counter()
    for message_id, body in bodies:
        queue.enqueue(message_id, body, time.time())
    return MESSAGES / (time.perf_counter() - started)


def bench_drain(queue: DiskQueue, state: AgentState, broker_url: str, window: int) -> float:
    """Messages per second from a full queue until the last receipt."""
    platform = MqttConnection(broker_url, f"platform-bench-{window}")

    def receipt(message: Message) -> None:
        for topic, body in receipts_for([message], time.time()):
            platform.publish(topic, body, qos=1)

    platform.subscribe(up_topic(HUB), 1, receipt)
    platform.connect()
    hub = MqttConnection(broker_url, f"edge-bench-{window}")
    sender = Sender(HUB, queue, state, MqttPublisher(hub), ReceiptPolicy(window=window))
    drained = threading.Event()

    def settled(message: Message) -> None:
        settle(HUB, queue, message.payload)
        sender.wake.set()
        if queue.stats().depth == 0:
            drained.set()

    hub.subscribe(receipt_topic(HUB), 1, settled)
    hub.connect()
    started = time.perf_counter()
    sender.start()
    finished = drained.wait(timeout=600)
    elapsed = time.perf_counter() - started
    sender.stop()
    sender.join()
    hub.close()
    platform.close()
    if not finished:
        raise RuntimeError(f"window {window}: queue not drained in 600 s")
    return MESSAGES / elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as work, MosquittoBroker(Path(work) / "broker") as broker:
        db = Database(Path(work) / "data")
        queue = DiskQueue(db)
        print(f"edge_enqueue_rate {bench_enqueue(queue):.0f} messages/s")
        print(f"edge_message_size {queue.stats().size_bytes / MESSAGES:.0f} bytes")
        for window in (1, DEFAULT_RECEIPT_WINDOW):
            if window != 1:
                bench_enqueue(queue)
            drain = bench_drain(queue, AgentState(db), broker.url, window)
            print(f"edge_drain_rate_receipted_window_{window} {drain:.0f} messages/s")
        db.close()


if __name__ == "__main__":
    main()
