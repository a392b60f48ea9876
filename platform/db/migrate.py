"""Numbered SQL migrations, applied in order and recorded in `schema_migrations`.

A migration is `NNNN_name.sql`, or a pair `NNNN_name.postgres.sql` / `NNNN_name.timescaledb.sql`
when the two engines need different statements (hypertables against native partitions).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tilsyn.platform.db.backend import Backend, detect_backend

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(postgres|timescaledb))?\.sql$")
# Any constant works; it only keeps two processes from migrating the same database at once.
_ADVISORY_LOCK_ID = 0x7115_1A


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover(backend: Backend, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations for `backend`, in order; a version must exist for both engines or neither."""
    found: dict[int, dict[str | None, Path]] = {}
    names: dict[int, str] = {}
    for path in directory.glob("*.sql"):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file name not understood: {path.name}")
        version, name, engine = int(match[1]), match[2], match[3]
        if names.setdefault(version, name) != name:
            raise ValueError(f"two migrations share version {version:04d}")
        found.setdefault(version, {})[engine] = path
    migrations = []
    for version in sorted(found):
        variants = found[version]
        if None in variants and len(variants) > 1:
            raise ValueError(f"migration {version:04d} has both common and engine files")
        if None not in variants and set(variants) != {"postgres", "timescaledb"}:
            raise ValueError(f"migration {version:04d} lacks a variant for one engine")
        path = variants.get(None) or variants[backend]
        migrations.append(Migration(version, names[version], path))
    return migrations


def apply_migrations(conn: psycopg.Connection) -> list[Migration]:
    """Bring the database up to date; returns the migrations applied now."""
    conn.execute("SELECT pg_advisory_lock(%s)", (_ADVISORY_LOCK_ID,))
    try:
        conn.commit()
        backend = _recorded_backend(conn) or detect_backend(conn)
        _ensure_version_table(conn)
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for migration in discover(backend):
            if migration.version in done:
                continue
            with conn.transaction():
                conn.execute(migration.path.read_text().encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, backend) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, backend),
                )
            log.info("applied migration %04d %s (%s)", migration.version, migration.name, backend)
            applied.append(migration)
        conn.commit()
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_ADVISORY_LOCK_ID,))
        conn.commit()


def current_backend(conn: psycopg.Connection) -> Backend:
    backend = _recorded_backend(conn)
    if backend is None:
        raise RuntimeError("the database has no migrations applied; run `tilsyn migrate`")
    return backend


def _ensure_version_table(conn: psycopg.Connection) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version     integer PRIMARY KEY,
               name        text NOT NULL,
               backend     text NOT NULL,
               applied_at  timestamptz NOT NULL DEFAULT now())"""
    )
    conn.commit()


def _recorded_backend(conn: psycopg.Connection) -> Backend | None:
    """Once a database is set up on one engine it stays on it."""
    exists = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
    if exists is None or exists[0] is None:
        return None
    row = conn.execute("SELECT backend FROM schema_migrations ORDER BY version LIMIT 1").fetchone()
    conn.commit()
    if row is None:
        return None
    backend: Backend = "timescaledb" if row[0] == "timescaledb" else "postgres"
    return backend
