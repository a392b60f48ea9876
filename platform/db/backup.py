"""Logical backups: the platform's database to one file with `pg_dump`, and back with
`pg_restore` into a new, empty database.

The file is pg_dump's custom format: compressed, and pg_restore can list and reorder it. A
restore never writes over data: a target that already holds tables is refused. With TimescaleDB
the restore is wrapped in `timescaledb_pre_restore()` / `timescaledb_post_restore()`, as that
extension requires. Point-in-time recovery (base backups and archived WAL) is a matter of the
server's configuration, described in docs/deployment.md.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg

from tilsyn.platform.db.embedded import find_bin_dir


class BackupError(RuntimeError):
    """A backup or restore that did not happen; the message says why."""


def backup(database_url: str, target: Path) -> int:
    """Dump the database into `target` (written whole or not at all); returns its size in bytes."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        _run("pg_dump", "--format=custom", "--no-owner", "--file", str(partial), database_url)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def restore(source: Path, database_url: str) -> None:
    """Restore a dump made by `backup` into the empty database at `database_url`."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    contents = _run("pg_restore", "--list", str(source))  # also checks it is a dump at all
    timescale = " EXTENSION - timescaledb" in contents
    try:
        with psycopg.connect(database_url, autocommit=True, connect_timeout=10) as conn:
            tables = _user_tables(conn)
            if tables:
                raise BackupError(
                    f"the target database already holds {tables} tables; restore into a new,"
                    " empty database (nothing was changed)"
                )
            if timescale:
                conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
                conn.execute("SELECT timescaledb_pre_restore()")
    except psycopg.OperationalError as error:
        raise BackupError(f"cannot reach the target database: {error}") from error
    try:
        # TimescaleDB's catalog is not restorable in one transaction; plain PostgreSQL is.
        whole = [] if timescale else ["--single-transaction"]
        _run(
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            *whole,
            "--dbname",
            database_url,
            str(source),
        )
    finally:
        if timescale:
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute("SELECT timescaledb_post_restore()")


def _user_tables(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        " AND schemaname NOT LIKE '\\_timescaledb%'"
    ).fetchone()
    return int(row[0]) if row else 0


def _run(program: str, *args: str) -> str:
    """Run a PostgreSQL client program; its output, or a BackupError with what it said."""
    done = subprocess.run(
        [str(find_bin_dir() / program), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()[-2000:]
        raise BackupError(f"{program} failed (exit {done.returncode}): {said}")
    return done.stdout
