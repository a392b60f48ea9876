"""Queue and delivery speed: `python -m tilsyn.edge.bench`, one `name value unit` per line.

Enqueue pays an fsync per transaction (`synchronous=FULL`); delivery waits for one PUBACK per
message, so its rate is one message per round trip to the broker.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tilsyn.broker.local import MosquittoBroker
from tilsyn.edge.db import Database
from tilsyn.edge.messages import pack
from tilsyn.edge.queue import DiskQueue
from tilsyn.edge.readings import Reading
from tilsyn.edge.sender import MqttPublisher, Sender
from tilsyn.edge.state import AgentState
from tilsyn.mqtt import MqttConnection

MESSAGES = 2000


def _body(n: int) -> tuple[str, bytes]:
    reading = Reading(
        reading_id=f"r-{n}",
        patient_id="P-1",
        kind="blood_pressure",
        value=(130.0, 80.0),
        taken_at=datetime.now(UTC),
    )
    (message,) = pack("hub-bench", [reading] * 5, time.time())
    return message.message_id, message.body


def bench_enqueue(queue: DiskQueue) -> float:
    bodies = [_body(n) for n in range(MESSAGES)]
    started = time.perf_counter()
    for message_id, body in bodies:
        queue.enqueue(message_id, body, time.time())
    return MESSAGES / (time.perf_counter() - started)


def bench_drain(queue: DiskQueue, state: AgentState, work: Path) -> float:
    with MosquittoBroker(work / "broker") as broker:
        connection = MqttConnection(broker.url, "edge-bench")
        connection.connect()
        sender = Sender("hub-bench", queue, state, MqttPublisher(connection))
        started = time.perf_counter()
        while sender.deliver_oldest():
            pass
        elapsed = time.perf_counter() - started
        connection.close()
    return sender.delivered / elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        db = Database(Path(work) / "data")
        queue = DiskQueue(db)
        print(f"edge_enqueue_rate {bench_enqueue(queue):.0f} messages/s")
        print(f"edge_message_size {queue.stats().size_bytes / MESSAGES:.0f} bytes")
        drain = bench_drain(queue, AgentState(db), Path(work))
        print(f"edge_drain_rate_local_mosquitto {drain:.0f} messages/s")
        db.close()


if __name__ == "__main__":
    main()
