"""Keeping time series healthy: partitions made ahead of time, and retention per data class.

On plain PostgreSQL whole monthly partitions are dropped once every row in them is past
retention (no row-by-row deletes); on TimescaleDB `drop_chunks` does the same for chunks.
Ingest's bookkeeping (quarantine, dead letters, idempotency keys) is in plain tables on both
engines: its old rows are deleted oldest first, in batches of their own transactions. A
quarantined or dead-lettered badge's or dispenser's message is hand-hygiene data: it goes when
that data does, if that is sooner. So are
old notifications (streams' replay and webhook deliveries; one a receiver has yet to take is
kept however old) and expired sessions. Alerts, their history and the audit log are kept.

On TimescaleDB the rollups are continuous aggregates, which take in a late row (a hub offline
for days, a gateway's backlog) only when a refresh policy's window covers its time. Each
window therefore reaches back to the day before its source's retention: further would refresh
buckets whose chunks are dropped and empty them. On PostgreSQL triggers count late rows at
once.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from tilsyn.platform.background import Periodic
from tilsyn.platform.db.migrate import current_backend
from tilsyn.platform.ingest.set_aside import HYGIENE_FAMILIES, hygiene_messages

log = logging.getLogger(__name__)

_MONTH_PARTITION = re.compile(r"_(\d{4})(\d{2})$")

# Patients' daily rollups are health data as much as the readings they were made from, so they
# go with them (containers' and wards' rollups name no person and are kept for long trends).
# PostgreSQL keeps the rollup in a table; TimescaleDB in a continuous aggregate, whose chunks a
# hypertable's retention does not touch.
PATIENT_ROLLUP = {
    "postgres": ("vitals_daily_rollup", "bucket"),
    "timescaledb": ("vitals_daily", ""),
}

# Ingest's bookkeeping tables and the indexed column that says how old a row is.
BOOKKEEPING = {"quarantine": "received_at", "dead_letters": "received_at", "ingest_keys": "seen_at"}
# The bookkeeping tables that keep whole messages, some of them a badge's or a dispenser's.
SET_ASIDE = ("quarantine", "dead_letters")
# Rows deleted per transaction: a large backlog never holds its row locks (or one huge
# transaction) for long, and ingest's inserts go on between batches.
BOOKKEEPING_BATCH = 10_000


@dataclass(frozen=True)
class Retention:
    city_days: int
    health_days: int
    hygiene_days: int
    # Bookkeeping; None: as long as the longest raw retention, so an uplink waiting for its
    # device to be registered is not gone before the data it would have fed.
    quarantine_days: int | None = None
    dead_letters_days: int | None = None
    ingest_keys_days: int | None = None
    # Notifications in the outbox, once every webhook took them.
    notifications_days: int = 90

    def days(self, data_class: str) -> int:
        return {"city": self.city_days, "health": self.health_days, "hygiene": self.hygiene_days}[
            data_class
        ]

    def bookkeeping_days(self, table: str) -> int:
        days = {
            "quarantine": self.quarantine_days,
            "dead_letters": self.dead_letters_days,
            "ingest_keys": self.ingest_keys_days,
        }[table]
        longest = max(self.city_days, self.health_days, self.hygiene_days)
        return longest if days is None else days


@dataclass
class MaintenanceReport:
    partitions_dropped: list[str] = field(default_factory=list)
    chunks_dropped: int = 0
    refresh_windows_set: list[str] = field(default_factory=list)
    rows_deleted: dict[str, int] = field(default_factory=dict)  # per bookkeeping table
    # Of those, badges' and dispensers' messages past the hand-hygiene data's retention.
    hygiene_rows_deleted: dict[str, int] = field(default_factory=dict)
    patient_rollup_removed: int = 0  # rows (and on TimescaleDB whole chunks, counted as one)
    notifications_deleted: int = 0
    sessions_deleted: int = 0


def run_maintenance(
    conn: psycopg.Connection,
    retention: Retention,
    now: datetime | None = None,
    batch_size: int = BOOKKEEPING_BATCH,
) -> MaintenanceReport:
    now = now or datetime.now(UTC)
    backend = current_backend(conn)
    report = MaintenanceReport()
    series = conn.execute("SELECT table_name, data_class FROM time_series ORDER BY 1").fetchall()
    for table, data_class in series:
        cutoff = now - timedelta(days=retention.days(data_class))
        if backend == "timescaledb":
            report.chunks_dropped += _drop_chunks(conn, table, cutoff)
        else:
            _make_partitions_ahead(conn, table, now)
            report.partitions_dropped += _drop_expired_partitions(conn, table, cutoff)
    if backend == "timescaledb":
        report.refresh_windows_set = _fit_refresh_windows(conn, retention, dict(series))
    conn.commit()
    health_cutoff = now - timedelta(days=retention.health_days)
    rollup, column = PATIENT_ROLLUP[backend]
    if backend == "timescaledb":
        report.patient_rollup_removed = _drop_aggregate_rows(conn, rollup, health_cutoff)
        conn.commit()
    else:
        report.patient_rollup_removed = _delete_older(
            conn, rollup, column, health_cutoff, batch_size
        )
    for table, column in BOOKKEEPING.items():
        cutoff = now - timedelta(days=retention.bookkeeping_days(table))
        report.rows_deleted[table] = _delete_older(conn, table, column, cutoff, batch_size)
    hygiene_cutoff = now - timedelta(days=retention.hygiene_days)
    for table in SET_ASIDE:
        _judge_hygiene(conn, table, batch_size)
        deleted = 0
        if retention.hygiene_days < retention.bookkeeping_days(table):
            deleted = _delete_older(
                conn, table, BOOKKEEPING[table], hygiene_cutoff, batch_size, only_hygiene=True
            )
        report.hygiene_rows_deleted[table] = deleted
        report.rows_deleted[table] += deleted
    report.notifications_deleted = _delete_old_notifications(
        conn, now - timedelta(days=retention.notifications_days), batch_size
    )
    report.sessions_deleted = conn.execute(
        "DELETE FROM sessions WHERE expires_at < %s", (now,)
    ).rowcount
    conn.commit()
    return report


def _delete_older(
    conn: psycopg.Connection,
    table: str,
    column: str,
    cutoff: datetime,
    batch_size: int,
    *,
    only_hygiene: bool = False,
) -> int:
    """Delete the rows older than `cutoff` (with `only_hygiene`, of those judged hand-hygiene
    data), oldest first (by the column's index), committing each batch; ctid, as the tables'
    keys differ."""
    query = sql.SQL(
        "DELETE FROM {table} WHERE ctid = ANY(ARRAY("
        "SELECT ctid FROM {table} WHERE {column} < %s {which} ORDER BY {column} LIMIT %s))"
    ).format(
        table=sql.Identifier(table),
        column=sql.Identifier(column),
        which=sql.SQL("AND hygiene" if only_hygiene else ""),
    )
    deleted = 0
    while True:
        batch = conn.execute(query, (cutoff, batch_size)).rowcount
        conn.commit()
        deleted += batch
        if batch < batch_size:
            break
    if deleted:
        log.info("retention: deleted %d rows of %s older than %s", deleted, table, cutoff)
    return deleted


def _judge_hygiene(conn: psycopg.Connection, table: str, batch_size: int) -> None:
    """Judge each set-aside message not judged yet: a badge's or a dispenser's, or not; in
    batches of their own transactions. A quarantined message of a device since registered as a
    badge or dispenser is judged again: it is hand-hygiene data now that the device is known."""
    dev_eui = sql.SQL("dev_eui" if table == "quarantine" else "NULL")
    select = sql.SQL(
        "SELECT id, topic, {dev_eui}, payload FROM {table} WHERE hygiene IS NULL"
        " ORDER BY id LIMIT %s"
    ).format(dev_eui=dev_eui, table=sql.Identifier(table))
    mark = sql.SQL("UPDATE {table} SET hygiene = (id = ANY(%s)) WHERE id = ANY(%s)").format(
        table=sql.Identifier(table)
    )
    while True:
        rows = [(r[0], r[1], r[2], bytes(r[3])) for r in conn.execute(select, (batch_size,))]
        if rows:
            hygiene = sorted(hygiene_messages(conn, rows))
            conn.execute(mark, (hygiene, [row[0] for row in rows]))
        conn.commit()
        if len(rows) < batch_size:
            break
    if table == "quarantine":
        conn.execute(
            "UPDATE quarantine SET hygiene = true FROM devices"
            " WHERE NOT quarantine.hygiene AND lower(quarantine.dev_eui) = devices.device_id"
            " AND devices.family = ANY(%s)",
            (list(HYGIENE_FAMILIES),),
        )
        conn.commit()


def _delete_old_notifications(conn: psycopg.Connection, cutoff: datetime, batch_size: int) -> int:
    """Delete outbox entries older than `cutoff` with their webhook deliveries, oldest first
    in batches; an entry a webhook has yet to take stays until it does."""
    deleted = 0
    while True:
        ids = [
            row[0]
            for row in conn.execute(
                """SELECT o.id FROM notification_outbox o
                   WHERE o.created_at < %s AND NOT EXISTS (
                       SELECT 1 FROM webhook_deliveries d
                       WHERE d.outbox_id = o.id AND d.delivered_at IS NULL)
                   ORDER BY o.created_at LIMIT %s""",
                (cutoff, batch_size),
            )
        ]
        conn.execute("DELETE FROM webhook_deliveries WHERE outbox_id = ANY(%s)", (ids,))
        conn.execute("DELETE FROM notification_outbox WHERE id = ANY(%s)", (ids,))
        conn.commit()
        deleted += len(ids)
        if len(ids) < batch_size:
            break
    if deleted:
        log.info("retention: deleted %d notifications older than %s", deleted, cutoff)
    return deleted


def refresh_window_days(retention_days: int) -> int:
    """How far back a rollup's refresh reaches: to the day before retention drops the rows."""
    return retention_days - 1


def _fit_refresh_windows(
    conn: psycopg.Connection, retention: Retention, data_class: dict[str, str]
) -> list[str]:
    """Set each continuous aggregate's refresh window from its source's retention, keeping
    the policy's end and schedule; only where it differs, so a policy's timing is left alone."""
    policies = conn.execute(
        """SELECT c.view_name, c.hypertable_name, j.config->>'start_offset',
                  j.config->>'end_offset', j.schedule_interval
           FROM timescaledb_information.continuous_aggregates c
           JOIN timescaledb_information.jobs j
             ON j.hypertable_schema = c.materialization_hypertable_schema
            AND j.hypertable_name = c.materialization_hypertable_name
           WHERE j.proc_name = 'policy_refresh_continuous_aggregate'
           ORDER BY 1"""
    ).fetchall()
    changed = []
    for view, source, start, end, every in policies:
        if source not in data_class:
            continue
        wanted = f"{refresh_window_days(retention.days(data_class[source]))} days"
        same = conn.execute("SELECT %s::interval = %s::interval", (start, wanted)).fetchone()
        if same is not None and same[0]:
            continue
        conn.execute(
            "SELECT remove_continuous_aggregate_policy(%s::regclass, if_exists => true)", (view,)
        )
        conn.execute(
            "SELECT add_continuous_aggregate_policy(%s::regclass, start_offset => %s::interval,"
            " end_offset => %s::interval, schedule_interval => %s::interval)",
            (view, wanted, end, every),
        )
        log.info("rollup %s now refreshes the last %s", view, wanted)
        changed.append(view)
    return changed


def _drop_aggregate_rows(conn: psycopg.Connection, view: str, cutoff: datetime) -> int:
    """A continuous aggregate's buckets before `cutoff`: its whole chunks by `drop_chunks`, and
    the rest from its materialization hypertable, whose chunks span about ten times the
    source's (70 days for 7), so `drop_chunks` alone would keep rows that long past retention.
    Its refresh window ends before the cutoff, so nothing brings them back."""
    dropped = _drop_chunks(conn, view, cutoff)
    (materialized,) = conn.execute(
        "SELECT format('%%I.%%I', materialization_hypertable_schema,"
        " materialization_hypertable_name)"
        " FROM timescaledb_information.continuous_aggregates WHERE view_name = %s",
        (view,),
    ).fetchone() or (None,)
    if materialized is None:
        return dropped
    deleted = conn.execute(
        sql.SQL("DELETE FROM {} WHERE bucket < %s").format(sql.SQL(materialized)), (cutoff,)
    ).rowcount
    return dropped + deleted


def _drop_chunks(conn: psycopg.Connection, table: str, cutoff: datetime) -> int:
    rows = conn.execute("SELECT drop_chunks(%s::regclass, older_than => %s)", (table, cutoff))
    return len(rows.fetchall())


def _make_partitions_ahead(conn: psycopg.Connection, table: str, now: datetime) -> None:
    for months in range(0, 3):
        day = _add_months(now.date().replace(day=1), months)
        conn.execute("SELECT tilsyn_ensure_month_partition(%s::regclass, %s)", (table, day))


def _drop_expired_partitions(conn: psycopg.Connection, table: str, cutoff: datetime) -> list[str]:
    dropped = []
    for partition in _partitions(conn, table):
        match = _MONTH_PARTITION.search(partition)
        if match is None:
            continue  # the default partition
        month_end = _add_months(date(int(match[1]), int(match[2]), 1), 1)
        if datetime(month_end.year, month_end.month, 1, tzinfo=UTC) <= cutoff:
            conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(partition)))
            log.info("retention: dropped partition %s", partition)
            dropped.append(partition)
    # Rows that landed in the default partition are past any partition: delete them row-wise.
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE time < %s").format(sql.Identifier(f"{table}_default")),
        (cutoff,),
    )
    return dropped


def _partitions(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass ORDER BY 1",
        (table,),
    ).fetchall()
    return [row[0] for row in rows]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class MaintenanceRunner(Periodic):
    """Runs maintenance at start and then every `every_seconds`, in a thread of its own."""

    def __init__(self, database_url: str, retention: Retention, every_seconds: float = 3600):
        super().__init__("maintenance", self.run_once, every_seconds, at_once=True)
        self._database_url = database_url
        self._retention = retention

    def run_once(self) -> None:
        with psycopg.connect(self._database_url) as conn:
            report = run_maintenance(conn, self._retention)
        if (
            report.partitions_dropped
            or report.chunks_dropped
            or report.refresh_windows_set
            or any(report.rows_deleted.values())
            or report.patient_rollup_removed
            or report.notifications_deleted
            or report.sessions_deleted
        ):
            log.info("retention: %s", report)
