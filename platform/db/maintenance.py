"""Keeping time series healthy: partitions made ahead of time, and retention per data class.

On plain PostgreSQL whole monthly partitions are dropped once every row in them is past
retention (no row-by-row deletes); on TimescaleDB `drop_chunks` does the same for chunks.

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

log = logging.getLogger(__name__)

_MONTH_PARTITION = re.compile(r"_(\d{4})(\d{2})$")


@dataclass(frozen=True)
class Retention:
    city_days: int
    health_days: int
    hygiene_days: int

    def days(self, data_class: str) -> int:
        return {"city": self.city_days, "health": self.health_days, "hygiene": self.hygiene_days}[
            data_class
        ]


@dataclass
class MaintenanceReport:
    partitions_dropped: list[str] = field(default_factory=list)
    chunks_dropped: int = 0
    refresh_windows_set: list[str] = field(default_factory=list)


def run_maintenance(
    conn: psycopg.Connection, retention: Retention, now: datetime | None = None
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
    return report


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
        if report.partitions_dropped or report.chunks_dropped or report.refresh_windows_set:
            log.info("retention: %s", report)
