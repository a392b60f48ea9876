"""The edge agent: measure on schedule, validate, queue on disk with the questionnaire answers
the patient's app leaves in the inbox, deliver, report health.

Three threads: this one measures and reports health; the sender delivers; paho's network thread
hands over configuration pushed by the platform and the platform's receipts. They meet only in
SQLite.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from tilsyn.edge.answers import AnswerInbox, not_taken, remember_taken
from tilsyn.edge.config import ConfigStore
from tilsyn.edge.db import Database, disk_full
from tilsyn.edge.display import LocalAdvisor, PatientDisplay
from tilsyn.edge.messages import health, health_topic, pack, pack_entries
from tilsyn.edge.queue import DiskQueue, QueueLimits, count_drop
from tilsyn.edge.readings import Reading
from tilsyn.edge.receipts import ClockCheck, settle
from tilsyn.edge.schedule import MAX_CATCH_UP_S, Clock, due
from tilsyn.edge.sender import Publisher, ReceiptPolicy, Sender
from tilsyn.edge.sources import DeviceSource, Schedule
from tilsyn.edge.state import AgentState, add, get, put

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentOptions:
    hub_id: str
    data_dir: Path
    timezone: str = "Europe/Oslo"
    limits: QueueLimits = field(default_factory=QueueLimits)
    tick_s: float = 0.5
    health_s: float = 60.0
    offline_after_s: float = 15 * 60.0
    receipts: ReceiptPolicy = field(default_factory=ReceiptPolicy)


class Agent:
    def __init__(
        self,
        options: AgentOptions,
        source: DeviceSource,
        clock: Clock,
        publisher: Publisher,
        display: PatientDisplay,
    ) -> None:
        self.options, self.source, self.clock, self.publisher = options, source, clock, publisher
        self.db = Database(options.data_dir)
        self.queue = DiskQueue(self.db, options.limits)
        self.state = AgentState(self.db)
        self.config = ConfigStore(self.db)
        self.advisor = LocalAdvisor(self.config, display, self.offline)
        self.clock_check = ClockCheck(self.state)
        self.sender = Sender(
            options.hub_id, self.queue, self.state, publisher, options.receipts, self.clock_check
        )
        self.answers = AnswerInbox(options.data_dir)
        self.zone = ZoneInfo(options.timezone)
        self._cursor: float | None = None
        # Readings that could not be stored at all (the disk full even after making room):
        # only in memory, since nothing more fits on the disk; told in each health report.
        self.unstored = 0
        self.db.keep_reserve()

    def offline(self) -> bool:
        """No broker contact for longer than the configured time (never contacted: offline)."""
        if self.publisher.connected:
            return False
        last = self.state.last_contact
        return last is None or time.time() - last > self.options.offline_after_s

    def take_receipt(self, body: bytes) -> int:
        """A receipt from the platform: forget what it names; returns how many messages."""
        settled = settle(self.options.hub_id, self.queue, body, self.clock_check)
        if settled:
            self.sender.wake.set()  # the window has room again
        return settled

    def measure_once(self) -> int:
        """Take the readings due since the cursor and queue them; returns how many."""
        now = self.clock.now()
        after = self._cursor if self._cursor is not None else self._resumed_cursor(now)
        readings, invalid = self._take(after, now)
        try:
            self._store(readings, invalid, now)
        except sqlite3.OperationalError as error:
            if not disk_full(error):
                raise
            # The disk is full below the queue's own limit: the oldest messages make room, as
            # when the queue is full (their pages are then reused, the file does not grow).
            # Deleting needs room in the write-ahead log too: the reserve is let go first, and
            # taken again after, for the next time.
            self.db.release_reserve()
            try:
                log.error("disk full: dropping the oldest %d messages", self.queue.shed_oldest())
                self._store(readings, invalid, now)
            except sqlite3.OperationalError as again:
                if not disk_full(again):
                    raise
                log.error("disk full: %d readings could not be stored", len(readings))
                self.unstored += len(readings)
                readings = []
            self.db.keep_reserve()
        self._cursor = now
        if readings:
            self.sender.wake.set()
            self.advisor.review(readings)
        return len(readings)

    def collect_answers(self) -> int:
        """Queue the questionnaire answers the patient's app left in the inbox, and remove their
        files; returns how many were queued. With the disk full they wait in the inbox."""
        found, refused = self.answers.read(set(self.source.patients()))
        if not found and not refused:
            return 0
        try:
            with self.db.transaction() as conn:
                new = not_taken(conn, found)
                for message in pack_entries(
                    self.options.hub_id, [a.entry for a in new], time.time()
                ):
                    self.queue.push(conn, message.message_id, message.body, time.time())
                remember_taken(conn, [answer.identity for answer in new], time.time())
                if refused:
                    count_drop(conn, "answers_refused", refused)
        except sqlite3.OperationalError as error:
            if not disk_full(error):
                raise
            log.error("disk full: %d questionnaire answers wait in the inbox", len(found))
            return 0
        for answer in found:
            answer.path.unlink(missing_ok=True)
        if new:
            self.sender.wake.set()
        return len(new)

    def _store(self, readings: list[Reading], invalid: int, now: float) -> None:
        with self.db.transaction() as conn:  # readings and cursor commit together
            for message in pack(self.options.hub_id, readings, time.time()):
                self.queue.push(conn, message.message_id, message.body, time.time())
            if invalid:
                count_drop(conn, "invalid", invalid)
            if self.unstored:  # readings lost to a full disk earlier, now on record
                count_drop(conn, "disk_full", self.unstored)
            put(conn, "cursor", now)
            add(conn, "measured", len(readings))
        self.unstored = 0

    def _resumed_cursor(self, now: float) -> float:
        """Where the last run stopped, but no further back than MAX_CATCH_UP_S; on the first
        run, the clock's start: nothing was missed then, however long starting up took (on a
        simulated clock, hours pass while the agent starts)."""
        saved = self.state.read("cursor")
        if saved is None:
            return self.clock.start
        return max(float(saved), now - MAX_CATCH_UP_S)

    def _take(self, after: float, now: float) -> tuple[list[Reading], int]:
        readings, invalid = [], 0
        for patient_id in self.source.patients():
            schedule, weekdays = self._schedule(patient_id)
            for at, kind in due(schedule, self.zone, after, now, weekdays):
                raw = self.source.measure(patient_id, kind, at)
                if raw is None:
                    continue
                try:
                    readings.append(Reading.model_validate(raw))
                except ValidationError as error:
                    log.warning("invalid reading from %s dropped: %s", raw.get("device_id"), error)
                    invalid += 1
        return readings, invalid

    def _schedule(self, patient_id: str) -> tuple[Schedule, dict[str, list[int]]]:
        """The devices' own default (every day), with the platform's times for each kind it
        names (no times: not prompted), on the platform's weekdays for that kind if it gives
        any. A kind the platform does not name keeps its default: a task the platform does not
        know of (a device's own) must not quietly stop being prompted. This platform names
        every kind of a patient it has a schedule for (`hub_config.whole_schedule`)."""
        schedule = dict(self.source.default_schedule(patient_id))
        plan = self.config.patient(patient_id)
        if plan is None:
            return schedule, {}
        schedule |= {str(kind): times for kind, times in plan.schedule.items()}
        # The config only has weekdays for kinds in its schedule, so none reach a default.
        return schedule, {str(kind): days for kind, days in plan.weekdays.items()}

    def health_report(self) -> bytes:
        stats = self.queue.stats()
        stats.dropped["disk_full"] += self.unstored
        return health(
            self.options.hub_id,
            time.time(),
            stats,
            self.state.last_contact,
            int(self.state.read("resent") or 0),
            self.source.devices(),
            self.config.summary(),
            self.clock_check.behind_s,
        )

    def _report_health(self) -> None:
        try:
            self.publisher.send(health_topic(self.options.hub_id), self.health_report())
        except ConnectionError as error:  # the next report replaces this one
            log.info("health report not sent: %s", error)

    def run(self, stop: threading.Event) -> None:
        self.sender.start()
        next_health = time.monotonic()
        while not stop.is_set():
            for step in (self.measure_once, self.collect_answers):
                try:
                    step()
                except Exception:  # a hub that stops measuring helps no patient: log, go on
                    log.exception("%s failed; trying again at the next tick", step.__name__)
            if time.monotonic() >= next_health and self.publisher.connected:
                self._report_health()
                next_health = time.monotonic() + self.options.health_s
            stop.wait(self.options.tick_s)
        self.sender.stop()
        self.sender.join(timeout=SENDER_JOIN_S)

    def close(self) -> None:
        self.db.close()


# The sender may be waiting on a PUBACK; the queue is crash-safe, so it need not finish.
SENDER_JOIN_S = 2.0


def saved_cursor(data_dir: Path) -> float | None:
    """Where a previous run stopped measuring, to resume a simulated clock from there."""
    db = Database(data_dir)
    try:
        with db.reading() as conn:
            value = get(conn, "cursor")
    finally:
        db.close()
    return None if value is None else float(value)
