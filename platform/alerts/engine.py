"""The alert engine: rules on what ingest commits, evaluated in a thread of its own.

Ingest hands over each commit (not each message): the engine evaluates the rows, coalesces the
signals of a batch per (entity, rule), writes alerts, history and outbox in one transaction, and
pushes the outbox entries to live streams. Clock-driven rules and escalation run every
`periodic_seconds`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg

from tilsyn.platform.alerts import periodic
from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.rules_containers import ContainerLimits, ContainerRules
from tilsyn.platform.alerts.rules_hygiene import dispenser_signals
from tilsyn.platform.alerts.rules_patients import (
    NEWS2_FIELDS,
    NEWS2_RECALL,
    PatientRules,
    answer_signals,
)
from tilsyn.platform.alerts.store import apply_signals, escalate_due, notifications
from tilsyn.platform.clinical.answers import QuestionnaireColours
from tilsyn.platform.clinical.plan import Threshold
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import (
    CONTAINER_READINGS,
    DISPENSER_STATUS,
    QUESTIONNAIRE_ANSWERS,
    VITAL_OBSERVATIONS,
)
from tilsyn.platform.patients.questionnaires import read_colours
from tilsyn.platform.registry.models import Spo2Scale

log = logging.getLogger(__name__)

ClockRule = Callable[[psycopg.Connection, datetime], list[Signal]]
CLOCK_RULES: tuple[ClockRule, ...] = (
    periodic.silent_containers,
    periodic.offline_dispensers,
    periodic.silent_hubs,
    periodic.ward_compliance,
    periodic.missed_tasks,
)

Commit = tuple[Sequence[Accepted], float]
T = TypeVar("T")


class AlertEngine:
    def __init__(
        self, database_url: str, hub: NotificationHub | None = None, periodic_seconds: float = 30.0
    ) -> None:
        self._database_url = database_url
        self._hub = hub
        self._periodic_seconds = periodic_seconds
        self._commits: queue.Queue[Commit | None] = queue.Queue(maxsize=1000)
        self._thread = threading.Thread(target=self._run, name="alert-engine", daemon=True)
        self._containers = ContainerRules(self._stored_fills)
        self._patients = PatientRules(self._weight_history, self._latest_vitals)
        self._limits: dict[str, ContainerLimits] = {}
        self._thresholds: dict[str, dict[str, Threshold]] = {}
        self._questionnaires: dict[str, QuestionnaireColours] = {}
        self._units: dict[str, str] = {}
        self._spo2_scales: dict[str, Spo2Scale] = {}
        self._active: set[tuple[str, str, str]] = set()
        self._conn: psycopg.Connection | None = None
        self._next_periodic = 0.0
        self.signals_evaluated = 0
        self.failures = 0

    def observe(self, stored: Sequence[Accepted], committed_at: float) -> None:
        """An ingest observer. Blocks when the engine is far behind: back-pressure, not loss."""
        if any(table in _WATCHED for outcome in stored for table, _ in outcome.rows):
            self._commits.put((stored, committed_at))

    def start(self) -> None:
        self._conn = psycopg.connect(self._database_url)
        self._reload_registry()
        self._refresh_active(self._conn)
        self._thread.start()

    def stop(self) -> None:
        self._commits.put(None)
        self._thread.join(timeout=30)
        if self._conn is not None:
            self._conn.close()

    def _run(self) -> None:
        while True:
            commits, stopping = self._drain()
            try:
                signals = [s for stored, _ in commits for s in self._evaluate_safely(stored)]
                if time.monotonic() >= self._next_periodic:
                    self._next_periodic = time.monotonic() + self._periodic_seconds
                    signals += self._periodic_safely()
                self._write(signals)
            except Exception:
                # A defect must not end the engine: ingest would block on its full queue and
                # no later alert would be raised. It is logged with its trace and counted.
                log.exception("alert engine round failed")
                self.failures += 1
                self._drop_connection()
            if stopping:
                return

    def _drain(self) -> tuple[list[Commit], bool]:
        try:
            first = self._commits.get(timeout=0.5)
        except queue.Empty:
            return [], False
        items = [first]
        while True:
            try:
                items.append(self._commits.get_nowait())
            except queue.Empty:
                break
        return [i for i in items if i is not None], None in items

    def _evaluate_safely(self, stored: Sequence[Accepted]) -> list[Signal]:
        """A commit's signals. The rules read the registry: while the database is away they
        wait for it."""
        return self._until_database_answers("rules", lambda: self._evaluate(stored))

    def _periodic_safely(self) -> list[Signal]:
        """The clock-driven rules; a round the database misses is made up by the next, so an
        outage skips it instead of waiting."""
        try:
            return self._periodic()
        except psycopg.OperationalError as error:
            log.warning("clock-driven rules skipped, database unavailable: %s", error)
            self._drop_connection()
        except Exception:
            log.exception("clock-driven rules failed")
            self.failures += 1
        return []

    def _until_database_answers(self, what: str, action: Callable[[], T]) -> T:
        """`action`, retried once a second through a database outage: signals that were
        evaluated are never thrown away because the database was briefly gone."""
        while True:
            try:
                return action()
            except psycopg.OperationalError as error:
                log.warning("%s: database unavailable, retrying: %s", what, error)
                self._drop_connection()
                time.sleep(1.0)

    def _evaluate(self, stored: Sequence[Accepted]) -> list[Signal]:
        self._containers.prepare(_first_fill_readings(stored))  # one query for the batch
        signals: list[Signal] = []
        for outcome in stored:
            for table, rows in outcome.rows:
                for row in rows:
                    signals += self._evaluate_row_safely(table.name, row)
        return signals

    def _evaluate_row_safely(self, table: str, row: tuple[Any, ...]) -> list[Signal]:
        """A defect in a rule costs that row's signals, not the others' in the commit (another
        patient's red SpO2), nor the engine."""
        try:
            return self._evaluate_row(table, row)
        except psycopg.OperationalError:
            raise  # an outage: the whole commit waits for the database
        except Exception:
            log.exception("could not evaluate the rules on a row of %s", table)
            self.failures += 1
            return []

    def _evaluate_row(self, table: str, row: tuple[Any, ...]) -> list[Signal]:
        """The rules on one stored row; tables without rules (a dispenser's uses, a join) have
        none."""
        if table == CONTAINER_READINGS.name:
            return self._containers.evaluate(row, self._limit(row[1]))
        if table == VITAL_OBSERVATIONS.name:
            patient = row[1]
            threshold = self._thresholds.get(patient, {}).get(row[2])
            return self._patients.evaluate(
                row, threshold, self._units.get(patient, ""), self._spo2_scales.get(patient, 1)
            )
        if table == QUESTIONNAIRE_ANSWERS.name:
            colours = self._questionnaires.get(row[2])
            return answer_signals(row, colours, self._units.get(row[1], ""))
        if table == DISPENSER_STATUS.name:
            return dispenser_signals(row)
        return []

    def _periodic(self) -> list[Signal]:
        conn = self._connection()
        now = datetime.now(UTC)
        self._reload_registry()
        # Alerts other engines (ingest workers) raised or cleared: theirs to clear too.
        self._refresh_active(conn)
        signals: list[Signal] = []
        for rule in CLOCK_RULES:
            signals += self._clock_rule(rule, conn, now)
        conn.commit()
        self._announce(escalate_due(conn, now))
        # A condition the clock finds still true is no new occurrence: counting it every round
        # would make a silent container's count grow by two a minute.
        return [s for s in signals if not (s.active and s.key in self._active)]

    def _refresh_active(self, conn: psycopg.Connection) -> None:
        rows = conn.execute(
            "SELECT entity_type, entity_id, rule FROM alerts WHERE state <> 'resolved'"
        ).fetchall()
        conn.commit()
        self._active = {(r[0], r[1], r[2]) for r in rows}

    def _clock_rule(self, rule: ClockRule, conn: psycopg.Connection, now: datetime) -> list[Signal]:
        """One clock rule; a defect in one must not stop the others nor the escalation of
        unacknowledged alerts. A lost database ends the round (made up by the next)."""
        try:
            return rule(conn, now)
        except psycopg.OperationalError:
            raise
        except Exception:
            log.exception("clock-driven rule %s failed", rule.__name__)
            self.failures += 1
            conn.rollback()
            return []

    def _write(self, signals: list[Signal]) -> None:
        # A clear for an alert that is not active changes nothing: skip the round trip. One
        # raised earlier in the same batch is active by the time the clear is applied (a
        # replayed history: full at 08:00, emptied at 09:00).
        raised = {s.key for s in signals if s.active}
        relevant = [s for s in signals if s.active or s.key in self._active or s.key in raised]
        self.signals_evaluated += len(signals)
        if not relevant:
            return
        try:
            outbox = self._until_database_answers(
                "alert store", lambda: apply_signals(self._connection(), relevant)
            )
        except psycopg.Error:
            # A defect, not an outage: say so loudly, keep the engine alive for what follows.
            log.exception("could not store %d alert signals", len(relevant))
            self.failures += 1
            self._connection().rollback()
            return
        for signal in relevant:
            (self._active.add if signal.active else self._active.discard)(signal.key)
        cleared = {s.key for s in relevant if not s.active}
        if cleared:  # a clear older than the raising reading left its alert up
            self._active |= self._until_database_answers(
                "alert store", lambda: self._still_active(cleared)
            )
        self._announce(outbox)

    def _still_active(self, keys: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        conn = self._connection()
        rows = conn.execute(
            "SELECT entity_type, entity_id, rule FROM alerts WHERE state <> 'resolved'"
            " AND (entity_type, entity_id, rule) IN (SELECT * FROM unnest(%s::text[],"
            " %s::text[], %s::text[]))",
            ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]),
        ).fetchall()
        conn.commit()
        return {(r[0], r[1], r[2]) for r in rows}

    def _announce(self, outbox_ids: list[int]) -> None:
        """The stored alerts' notifications, read back (through an outage too: the alerts are
        stored, the screens and night planner must still hear of them)."""
        if self._hub is None or not outbox_ids:
            return

        def read() -> list[tuple[Any, ...]]:
            conn = self._connection()
            entries = notifications(conn, outbox_ids)
            conn.commit()
            return entries

        entries = self._until_database_answers("announce", read)
        self._hub.announce([Notification(*entry) for entry in entries])

    def _limit(self, container_id: str) -> ContainerLimits:
        limits = self._limits.get(container_id)
        if limits is None:
            self._reload_registry()
            limits = self._limits.setdefault(container_id, ContainerLimits())
        return limits

    def _reload_registry(self) -> None:
        conn = self._connection()
        self._limits = {
            r[0]: ContainerLimits(r[1], r[2])
            for r in conn.execute(
                "SELECT container_id, fill_high_percent, fill_low_percent FROM containers"
            )
        }
        patients = conn.execute("SELECT patient_id, unit, spo2_scale FROM patients").fetchall()
        self._units = {patient_id: unit for patient_id, unit, _ in patients}
        self._spo2_scales = {patient_id: scale for patient_id, _, scale in patients}
        thresholds: dict[str, dict[str, Threshold]] = {}
        for r in conn.execute(
            "SELECT patient_id, kind, green_low, green_high, yellow_low,"
            " yellow_high FROM patient_thresholds"
        ):
            thresholds.setdefault(r[0], {})[r[1]] = Threshold(
                kind=r[1], green_low=r[2], green_high=r[3], yellow_low=r[4], yellow_high=r[5]
            )
        self._thresholds = thresholds
        self._questionnaires = read_colours(conn)
        conn.commit()

    def _stored_fills(
        self, container_ids: list[str], since: datetime, before: datetime
    ) -> dict[str, list[tuple[datetime, float]]]:
        conn = self._connection()
        rows = conn.execute(
            "SELECT container_id, time, fill_percent FROM container_readings"
            " WHERE container_id = ANY(%s) AND time >= %s AND time < %s"
            " AND fill_percent IS NOT NULL ORDER BY container_id, time",
            (container_ids, since, before),
        ).fetchall()
        conn.commit()
        fills: dict[str, list[tuple[datetime, float]]] = {}
        for container_id, at, fill in rows:
            fills.setdefault(container_id, []).append((at, fill))
        return fills

    def _weight_history(self, patient_id: str, since: datetime) -> list[tuple[datetime, float]]:
        conn = self._connection()
        rows = conn.execute(
            "SELECT time, value FROM vital_observations WHERE patient_id = %s"
            " AND kind = 'body_weight' AND time >= %s ORDER BY time",
            (patient_id, since),
        ).fetchall()
        conn.commit()
        return [(r[0], r[1]) for r in rows]

    def _latest_vitals(self, patient_id: str, at: datetime) -> dict[str, tuple[datetime, float]]:
        conn = self._connection()
        rows = conn.execute(
            "SELECT DISTINCT ON (kind) kind, time, value FROM vital_observations"
            " WHERE patient_id = %s AND kind = ANY(%s) AND time <= %s AND time >= %s"
            " ORDER BY kind, time DESC",
            (patient_id, list(NEWS2_FIELDS), at, at - NEWS2_RECALL),
        ).fetchall()
        conn.commit()
        return {kind: (when, value) for kind, when, value in rows}

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._database_url)
        return self._conn

    def _drop_connection(self) -> None:
        """Forget a connection the outage broke; the next use opens a new one."""
        if self._conn is not None:
            self._conn.close()
        self._conn = None


_WATCHED = {CONTAINER_READINGS, VITAL_OBSERVATIONS, QUESTIONNAIRE_ANSWERS, DISPENSER_STATUS}


def _first_fill_readings(stored: Sequence[Accepted]) -> dict[str, datetime]:
    """Each container's earliest fill reading in a batch."""
    first: dict[str, datetime] = {}
    for outcome in stored:
        for table, rows in outcome.rows:
            if table.name != CONTAINER_READINGS.name:
                continue
            for row in rows:
                if len(row) <= 4 or row[4] is None:
                    continue  # no fill (a row cut short is the rules' to report)
                at, container_id = row[0], row[1]
                if container_id not in first or at < first[container_id]:
                    first[container_id] = at
    return first
