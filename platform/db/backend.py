"""Which storage engine we run on: TimescaleDB when the extension can be loaded, else PostgreSQL."""

from __future__ import annotations

import logging
from typing import Literal

import psycopg

log = logging.getLogger(__name__)

Backend = Literal["timescaledb", "postgres"]


def detect_backend(conn: psycopg.Connection) -> Backend:
    """Load TimescaleDB if the server offers it; report what the database now runs on."""
    if _extension_installed(conn):
        return "timescaledb"
    available = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    if available is None:
        return "postgres"
    if not _preloaded(conn):
        # Loading it then is a FATAL error that closes the connection (TimescaleDB's loader
        # refuses to run half-loaded), so it must not even be tried.
        log.warning(
            "TimescaleDB is installed but not in shared_preload_libraries; using PostgreSQL"
        )
        return "postgres"
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except psycopg.Error as error:
        log.warning("TimescaleDB is available but cannot be loaded (%s); using PostgreSQL", error)
        return "postgres"
    return "timescaledb"


def _extension_installed(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    return row is not None


def _preloaded(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT current_setting('shared_preload_libraries', true)").fetchone()
    return preloads_timescaledb((row[0] or "") if row else "")


def preloads_timescaledb(setting: str) -> bool:
    """Whether a `shared_preload_libraries` value names TimescaleDB's loader (by name or path,
    quoted or not; `timescaledb_toolkit` is another library)."""
    return any(
        library.strip().strip("'\"").rsplit("/", 1)[-1] == "timescaledb"
        for library in setting.split(",")
    )
