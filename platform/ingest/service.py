"""The ingest worker: MQTT in, batched transactions out, QoS 1 acknowledged only after commit.

paho's callback only puts the message on a bounded queue. When the database is slow or down the
queue fills, the callback blocks, and the broker holds the rest: back-pressure instead of loss.
A message the broker delivered but we did not acknowledge is delivered again after a restart,
and idempotency keys keep the second copy out. After each commit, the hubs whose messages the
batch held get a receipt (`receipts.py`); only that lets a hub forget a message.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import psycopg

from tilsyn.mqtt import Message, MqttConnection
from tilsyn.platform.background import Periodic
from tilsyn.platform.config import Settings
from tilsyn.platform.db.listener import Channel
from tilsyn.platform.ingest.catch_up import CatchUpHolder
from tilsyn.platform.ingest.classify import Classifier
from tilsyn.platform.ingest.directory import DeviceDirectory, DeviceNotices
from tilsyn.platform.ingest.hygiene_matcher import HygieneMatcher, SiteNotices
from tilsyn.platform.ingest.outcomes import Accepted, Outcome, dead_letter
from tilsyn.platform.ingest.receipts import receipts_for
from tilsyn.platform.ingest.workers import (
    HEARTBEAT_S,
    WorkerFigures,
    WorkerReporter,
    this_process,
)
from tilsyn.platform.ingest.writer import (
    BatchResult,
    is_outage,
    write_batch,
    write_one_by_one,
)

log = logging.getLogger(__name__)

# Badge messages stored by any worker are matched this often by the one holding the role;
# badges gone quiet are decided by the clock once a minute.
MATCH_SECONDS = 1.0
TICK_SECONDS = 60.0
# A registration changed in another process (a container's new sensor) is known after this;
# one changed in this process is forgotten at once (`forget_devices`).
REGISTRY_RELOAD_S = 60.0

UPLINK_TOPICS = (
    "application/+/device/+/event/up",
    "application/+/device/+/event/join",
    "v3/+/devices/+/up",
    "v3/+/devices/+/join",
    "tilsyn/edge/+/up",
    "tilsyn/edge/+/health",
)


@dataclass
class IngestStats:
    received: int = 0
    stored: int = 0
    rows: int = 0
    duplicates: int = 0
    quarantined: int = 0
    dead_letters: int = 0
    database_retries: int = 0
    receipts: int = 0
    clock_corrections: int = 0
    # Originals set aside because their correction was stored before them (also dead letters).
    superseded: int = 0
    last_database_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, result: BatchResult) -> None:
        with self._lock:
            self.stored += result.stored
            self.rows += result.rows
            self.duplicates += result.duplicates
            self.quarantined += result.quarantined
            self.dead_letters += result.dead_letters
            self.clock_corrections += sum(stored.clock_corrections for stored in result.fresh)
            self.superseded += result.superseded


# Called on the writer thread after each commit with what it stored and the commit's wall time.
# Observers (the alert engine, benchmarks) must return quickly.
CommitObserver = Callable[[Sequence[Accepted], float], None]


class Delivery(NamedTuple):
    message: Message
    connection: MqttConnection


class IngestService:
    def __init__(
        self,
        settings: Settings,
        database_url: str,
        mqtt_url: str,
        observers: Sequence[CommitObserver] = (),
    ) -> None:
        self._settings = settings
        self._observers = list(observers)
        self._database_url = database_url
        # Each message with the connection that acknowledges it once it is stored.
        self._queue: queue.Queue[Delivery] = queue.Queue(maxsize=settings.ingest_queue_size)
        self._stopping = threading.Event()
        self._directory = DeviceDirectory(database_url)
        self._classifier = Classifier(self._directory)
        self.hygiene_matcher = HygieneMatcher(database_url)
        self._next_tick = 0.0
        self._mqtt = MqttConnection(
            mqtt_url,
            settings.ingest_client_id,
            manual_ack=True,
            persistent_session=True,
            ca_file=settings.mqtt_ca_file,
        )
        group = settings.ingest_share_group
        self._shared = bool(group) and self._mqtt.supports_shared_subscriptions
        self.catch_up = (
            CatchUpHolder(
                database_url,
                mqtt_url,
                group,
                UPLINK_TOPICS,
                self._deliver,
                ca_file=settings.mqtt_ca_file,
            )
            if self._shared and settings.ingest_catch_up
            else None
        )
        self._writer = threading.Thread(target=self._write_loop, name="ingest-writer", daemon=True)
        # Off the writer's thread: reading a large registry is no pause in storing.
        self._registry_reload = Periodic(
            "device-registry-reload", self._directory.load, REGISTRY_RELOAD_S, at_once=False
        )
        self._matching = Periodic(
            "hygiene-matcher", self._match_badges, MATCH_SECONDS, at_once=True
        )
        self._reporter = WorkerReporter(database_url)
        self._heartbeat = Periodic("ingest-heartbeat", self._report, HEARTBEAT_S, at_once=True)
        self.stats = IngestStats()
        self._started_at = datetime.now(UTC)

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        self._directory.load()
        self._writer.start()
        self._registry_reload.start()
        self._matching.start()
        self._heartbeat.start()
        group = self._settings.ingest_share_group
        for topic in UPLINK_TOPICS:
            topic_filter = f"$share/{group}/{topic}" if self._shared else topic
            self._mqtt.subscribe(topic_filter, 1, self._enqueue)
        if self.catch_up is not None:
            self.catch_up.start()
        self._mqtt.connect()

    def stop(self) -> None:
        """Stop taking messages, then store (and acknowledge) what is already queued."""
        if self.catch_up is not None:
            self.catch_up.close()
        self._mqtt.close()
        self._stopping.set()
        self._writer.join(timeout=60)
        self._registry_reload.stop()
        self._matching.stop()
        try:
            self.hygiene_matcher.match()  # what the last batches put in the inbox
        except psycopg.Error as error:
            log.warning("badge messages left in the inbox for the next matcher: %s", error)
        self.hygiene_matcher.close()
        self._heartbeat.stop()
        try:
            self._report()  # stopped, with the last batches counted
        except psycopg.Error as error:
            log.warning("ingest worker's last figures not stored: %s", error)
        finally:
            self._reporter.close()

    def figures(self) -> WorkerFigures:
        """This worker's figures since it started."""
        host, pid = this_process()
        s = self.stats
        with s._lock:
            return WorkerFigures(
                worker_id=self._settings.ingest_client_id,
                host=host,
                pid=pid,
                started_at=self._started_at,
                running=self.running,
                queue_depth=self.queue_depth,
                received=s.received,
                stored=s.stored,
                duplicates=s.duplicates,
                quarantined=s.quarantined,
                dead_letters=s.dead_letters,
                database_retries=s.database_retries,
                clock_corrections=s.clock_corrections,
                superseded=s.superseded,
                last_database_error=s.last_database_error,
                hygiene_matching=self.hygiene_matcher.matching,
                caught_up=0 if self.catch_up is None else self.catch_up.stored,
            )

    def _report(self) -> None:
        self._reporter.report(self.figures())

    def _enqueue(self, message: Message) -> None:
        self._deliver(message, self._mqtt)

    def _deliver(self, message: Message, connection: MqttConnection) -> None:
        # Blocks paho's thread when the queue is full: that is the back-pressure.
        self._queue.put(Delivery(message, connection))
        with self.stats._lock:
            self.stats.received += 1

    def forget_devices(self, *device_ids: str) -> None:
        """Registrations changed in this process: look these devices up again at once."""
        self._directory.forget(*device_ids)

    def change_channels(self) -> list[Channel]:
        """Registrations and wards changed by any process, heard as they commit
        (db/listener.py)."""
        return [DeviceNotices(self._directory), SiteNotices(self.hygiene_matcher)]

    @property
    def running(self) -> bool:
        return self._writer.is_alive() and not self._stopping.is_set()

    def _write_loop(self) -> None:
        conn: psycopg.Connection | None = None
        while not (self._stopping.is_set() and self._queue.empty()):
            deliveries = self._next_batch()
            if not deliveries:
                continue
            batch = [delivery.message for delivery in deliveries]
            outcomes = self._classify(batch)
            while True:
                try:
                    conn = conn if conn is not None and not conn.closed else self._connect()
                    result = self._write(conn, batch, outcomes)
                    break
                except Exception as error:
                    # An outage, or a defect of ours: the batch is kept (nothing was
                    # acknowledged), the error shown in the status, and it is tried again.
                    if not is_outage(error):
                        log.exception("storing a batch failed; trying it again")
                    self._after_database_error(conn, error)
                    conn = None
            self._after_commit(deliveries, result)
        if conn is not None:
            conn.close()

    def _write(
        self, conn: psycopg.Connection, batch: list[Message], outcomes: list[Outcome]
    ) -> BatchResult:
        try:
            return write_batch(conn, outcomes)
        except Exception as error:
            if is_outage(error):
                raise
            # Some row is unacceptable (to the database, or to the driver's binary copy):
            # store the batch one by one, so that only the offending messages end in dead
            # letters and the writer goes on.
            log.warning("batch refused (%s); storing one by one", error)
            conn.rollback()
            return write_one_by_one(conn, batch, outcomes)

    def _classify(self, batch: list[Message]) -> list[Outcome]:
        """Classifying looks up devices the cache does not hold yet: through an outage it
        waits for the database, like the write, and goes on from the message it was at. A
        message that breaks classifying in a way we did not foresee goes to dead letters
        with the error, instead of ending the writer and coming back after every restart."""
        outcomes: list[Outcome] = []
        while len(outcomes) < len(batch):
            message = batch[len(outcomes)]
            try:
                outcomes.append(self._classifier.classify(message))
            except Exception as error:
                if is_outage(error):
                    self._after_database_error(None, error)
                    continue
                log.exception("classifying a message on %s failed", message.topic)
                why = f"could not be classified: {type(error).__name__}: {error}"[:1000]
                outcomes.append(dead_letter(message.topic, message.payload, why))
        return outcomes

    def _match_badges(self) -> None:
        """Match what the workers put in the hygiene inbox, if this process holds the role;
        once a minute, let the clock decide badges gone quiet."""
        now = time.time()
        tick = now >= self._next_tick
        if tick:
            self._next_tick = now + TICK_SECONDS
        self.hygiene_matcher.match(datetime.fromtimestamp(now, UTC) if tick else None)

    def _after_commit(self, deliveries: list[Delivery], result: BatchResult) -> None:
        for message, connection in deliveries:
            connection.ack(message)
        batch = [delivery.message for delivery in deliveries]
        self.stats.add(result)
        committed_at = time.time()
        # Alerts first: nothing about a receipt may keep a stored red value from its alert.
        for observer in self._observers:
            try:
                observer(result.fresh, committed_at)
            except Exception:  # an observer's failure must not stop ingest
                log.exception("ingest observer %r failed", observer)
        try:
            self._send_receipts(batch, committed_at)
        except Exception:  # the hubs send again without a receipt: harmless
            log.exception("receipts for a stored batch not sent")

    def _send_receipts(self, batch: list[Message], committed_at: float) -> None:
        """Not waited for: a receipt lost here makes the hub send again, which is harmless."""
        for topic, body in receipts_for(batch, committed_at):
            try:
                self._mqtt.publish(topic, body, qos=1)
            except ConnectionError as error:
                log.warning("receipt on %s not sent: %s", topic, error)
                continue
            with self.stats._lock:
                self.stats.receipts += 1

    def _next_batch(self) -> list[Delivery]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self._settings.ingest_batch_seconds
        while len(batch) < self._settings.ingest_batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self._database_url, connect_timeout=5)

    def _after_database_error(self, conn: psycopg.Connection | None, error: Exception) -> None:
        """Keep the batch and try again; nothing is acknowledged until it is stored."""
        log.warning("database unavailable, retrying batch: %s", error)
        self._note_database_error(error)
        if conn is not None:
            conn.close()
        time.sleep(1.0)

    def _note_database_error(self, error: Exception) -> None:
        with self.stats._lock:
            self.stats.database_retries += 1
            self.stats.last_database_error = str(error).strip() or type(error).__name__
