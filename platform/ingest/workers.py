"""Every ingest worker's figures where any process can read them (`ingest_workers`).

A worker counts what it received and stored in its own memory (`IngestStats`). With a share
group, each API process would show only its own worker's share; so each worker writes its
row every `HEARTBEAT_S`, and `/api/ingest/status` lists them all. A worker not heard from
for `HEARD_WITHIN_S` has stopped, stalls, or cannot reach the database.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from pydantic import BaseModel, Field

HEARTBEAT_S = 5.0
HEARD_WITHIN_S = 30.0
# A worker gone this long (renamed, scaled down) is no longer listed, and its row is deleted.
FORGOTTEN_AFTER_DAYS = 7
PRUNE_EVERY_S = 3600.0
APPLICATION_NAME = "tilsyn ingest heartbeat"  # its connection in pg_stat_activity


class IngestFigures(BaseModel):
    """What an ingest worker counted since it started (nothing where no ingest runs)."""

    running: bool = False
    queue_depth: int = 0
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    dead_letters: int = 0
    database_retries: int = 0
    # Reading times moved because a hub's or a meter's clock was off (see hub_clock.py).
    clock_corrections: int = 0
    # Originals set aside because their correction was stored first (among the dead letters).
    superseded: int = 0
    last_database_error: str | None = None
    # Whether it is the one matching hand-hygiene badge events (one per database).
    hygiene_matching: bool = False
    # Messages its catch-up session stored after reconnecting to a kept session (a broker
    # restored from its store): what its share group may have missed (ingest/catch_up.py).
    caught_up: int = 0


class WorkerFigures(IngestFigures):
    worker_id: str = Field(description="its MQTT client id")
    host: str
    pid: int
    started_at: datetime


class WorkerStatus(WorkerFigures):
    seen_at: datetime = Field(description="when it last wrote its figures")
    heard: bool = Field(description=f"whether it wrote them within {HEARD_WITHIN_S:.0f} s")


_COLUMNS = tuple(WorkerFigures.model_fields)
_REPORT = sql.SQL(
    "INSERT INTO ingest_workers ({columns}) VALUES ({values})"
    " ON CONFLICT (worker_id) DO UPDATE SET seen_at = now(), {updates}"
).format(
    columns=sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)),
    values=sql.SQL(", ").join(map(sql.Placeholder, _COLUMNS)),
    updates=sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(column)) for column in _COLUMNS
    ),
)
_LIST = sql.SQL(
    "SELECT {columns}, seen_at, seen_at > now() - make_interval(secs => %s) AS heard"
    " FROM ingest_workers WHERE seen_at > now() - make_interval(days => %s)"
    " ORDER BY worker_id"
).format(columns=sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)))


def this_process() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


class WorkerReporter:
    """Writes one worker's figures every heartbeat on a connection it keeps (a new one only
    after a loss), and forgets workers long gone once an hour, not at every heartbeat."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._conn: psycopg.Connection | None = None
        self._pruned_at: float | None = None

    def report(self, figures: WorkerFigures) -> None:
        """Store this worker's figures now, in place of its last. A connection lost since the
        last report (a database restart) is made again once, and the report goes on."""
        try:
            self._report(figures)
        except psycopg.OperationalError:
            self.close()
            self._report(figures)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _report(self, figures: WorkerFigures) -> None:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self._database_url,
                connect_timeout=5,
                autocommit=True,
                application_name=APPLICATION_NAME,
            )
        self._conn.execute(_REPORT, figures.model_dump())
        now = time.monotonic()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY_S:
            self._conn.execute(
                "DELETE FROM ingest_workers WHERE seen_at < now() - make_interval(days => %s)",
                (FORGOTTEN_AFTER_DAYS,),
            )
            self._pruned_at = now


def list_workers(conn: psycopg.Connection) -> list[WorkerStatus]:
    """Every worker heard from in the last week, by id."""
    with conn.cursor(row_factory=class_row(WorkerStatus)) as cur:
        return cur.execute(_LIST, (HEARD_WITHIN_S, FORGOTTEN_AFTER_DAYS)).fetchall()
