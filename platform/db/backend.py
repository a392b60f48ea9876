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
    try:
        # Needs shared_preload_libraries = 'timescaledb'; a server without it refuses.
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except psycopg.Error as error:
        log.warning("TimescaleDB is available but cannot be loaded (%s); using PostgreSQL", error)
        return "postgres"
    return "timescaledb"


def _extension_installed(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    return row is not None
