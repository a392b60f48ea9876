"""Any time series over a time range as CSV, streamed: memory stays flat however long the range.

PostgreSQL writes the CSV itself (`COPY (SELECT ...) TO STDOUT (FORMAT CSV, HEADER)`), the
fastest way out of the database; rows arrive one COPY message at a time and are passed on in
chunks of about 64 KiB, so neither side ever holds the range. Times are written in UTC.

Only tables on the allow-list can be exported, and their names reach SQL as identifiers, never
as text pasted into it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from tilsyn.platform.hygiene.site import WARD_TIMEZONE

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class SeriesTable:
    """A time series that may be exported; `key` is the column `key=` filters on. With
    `summed`, rows are summed over every column not named in `by` (nor summed): what the
    table holds per person leaves the server only as sums."""

    name: str
    key: str
    by: tuple[str, ...] = ()
    summed: tuple[str, ...] = ()
    days_in: str | None = None
    """For rows per local day (`time` is the day's local midnight in this zone): the range
    selects whole days, from the day `start` falls in up to, not including, the day of `end`."""

    def bounds(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """The range of `time` to select; a time without a zone is UTC."""
        if self.days_in is None:
            return start, end
        zone = ZoneInfo(self.days_in)
        return _midnight(_day(start, zone), zone), _midnight(_day(end, zone), zone)

    def rows(self) -> sql.Composable:
        """What `SELECT` takes for each exported row."""
        if not self.summed:
            return sql.SQL("*")
        sums = [sql.SQL("sum({0})::bigint AS {0}").format(sql.Identifier(c)) for c in self.summed]
        return sql.SQL(", ").join([*map(sql.Identifier, self.by), *sums])

    def grouping(self) -> sql.Composable:
        if not self.summed:
            return sql.SQL("")
        return sql.SQL(" GROUP BY {}").format(sql.SQL(", ").join(map(sql.Identifier, self.by)))


TABLES: dict[str, SeriesTable] = {
    table.name: table
    for table in (
        SeriesTable("container_readings", "container_id"),
        SeriesTable("dispenser_status", "ward_id"),
        SeriesTable("dispenser_uses", "ward_id"),
        # Stored per badge and decision: summed per day, ward and zone before it leaves, as
        # the compliance API does, so that no one person's washes can be read off.
        SeriesTable(
            "hygiene_compliance_counts",
            "ward_id",
            by=("time", "day", "ward_id", "zone_type"),
            summed=("opportunities", "met"),
            days_in=WARD_TIMEZONE,
        ),
        SeriesTable("vital_observations", "patient_id"),
        SeriesTable("questionnaire_answers", "patient_id"),
    )
}


def series_table(name: str) -> SeriesTable:
    table = TABLES.get(name)
    if table is None:
        raise ValueError(f"cannot export {name!r}; tables: {', '.join(TABLES)}")
    return table


def _day(moment: datetime, zone: ZoneInfo) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def _selection(table: SeriesTable, key: str | None) -> sql.Composed:
    """`FROM table WHERE ...` for rows with start <= time < end (and the key, when given)."""
    where: sql.Composable = sql.SQL("time >= %(start)s AND time < %(end)s")
    if key is not None:
        where = sql.SQL("{} AND {} = %(key)s").format(where, sql.Identifier(table.key))
    return sql.SQL("FROM {} WHERE {}").format(sql.Identifier(table.name), where)


def count_rows(
    conn: psycopg.Connection, table: str, start: datetime, end: datetime, key: str | None = None
) -> int:
    """How many rows an export of the same arguments will write (for progress)."""
    chosen = series_table(table)
    query = sql.SQL("SELECT count(*) FROM (SELECT {} {}{}) exported").format(
        chosen.rows(), _selection(chosen, key), chosen.grouping()
    )
    start, end = chosen.bounds(start, end)
    row = conn.execute(query, {"start": start, "end": end, "key": key}).fetchone()
    return 0 if row is None else int(row[0])


def keys_in(
    conn: psycopg.Connection, table: str, start: datetime, end: datetime, key: str | None = None
) -> list[str]:
    """The keys (patients, containers, wards) an export of the same arguments will hold."""
    chosen = series_table(table)
    query = sql.SQL("SELECT DISTINCT {} {}").format(
        sql.Identifier(chosen.key), _selection(chosen, key)
    )
    start, end = chosen.bounds(start, end)
    rows = conn.execute(query, {"start": start, "end": end, "key": key}).fetchall()
    return sorted(str(row[0]) for row in rows)


def stream_csv(
    conn: psycopg.Connection,
    table: str,
    start: datetime,
    end: datetime,
    key: str | None = None,
    on_rows: Callable[[int], None] | None = None,
    on_snapshot: Callable[[str], None] | None = None,
) -> Iterator[bytes]:
    """UTF-8 CSV with a header line, rows ordered by time, start <= time < end (whole local
    days for a table of days, see `SeriesTable.days_in`).

    `on_rows` is told how many data rows each chunk carries. The connection is used in a
    transaction of its own (times are set to UTC in it) and must not be shared meanwhile; the
    export is consistent, one snapshot, even while ingest writes. `on_snapshot` is given that
    snapshot's id before the first row is read, so another connection can see exactly what
    the export will hold (the patients to audit: `export.audit.audit_export`).
    """
    chosen = series_table(table)
    copy = sql.SQL("COPY (SELECT {} {}{} ORDER BY time) TO STDOUT (FORMAT CSV, HEADER)").format(
        chosen.rows(), _selection(chosen, key), chosen.grouping()
    )
    start, end = chosen.bounds(start, end)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SET LOCAL TIME ZONE 'UTC'")
        if on_snapshot is not None:
            snapshot = cur.execute("SELECT pg_export_snapshot()").fetchone()
            assert snapshot is not None
            on_snapshot(snapshot[0])
        with cur.copy(copy, {"start": start, "end": end, "key": key}) as stream:
            yield from _chunks(stream, on_rows)


def _chunks(stream: psycopg.Copy, on_rows: Callable[[int], None] | None) -> Iterator[bytes]:
    buffer = bytearray()
    rows = -1  # PostgreSQL sends one COPY message per row; the first one is the header
    for data in stream:
        buffer += data
        rows += 1
        if len(buffer) >= CHUNK_BYTES:
            yield _flush(buffer, rows, on_rows)
            rows = 0
    if buffer:
        yield _flush(buffer, rows, on_rows)


def _flush(buffer: bytearray, rows: int, on_rows: Callable[[int], None] | None) -> bytes:
    chunk = bytes(buffer)
    buffer.clear()
    if on_rows is not None:
        on_rows(rows)
    return chunk
