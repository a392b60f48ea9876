"""Migrations: discovery rules, order, the version table, and the time-partitioned storage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from tilsyn.platform.db.backend import preloads_timescaledb
from tilsyn.platform.db.migrate import MIGRATIONS_DIR, apply_migrations, current_backend, discover

pytestmark = pytest.mark.integration


def test_every_version_exists_once_for_each_engine() -> None:
    for backend in ("postgres", "timescaledb"):
        versions = [m.version for m in discover(backend)]  # type: ignore[arg-type]
        assert versions == sorted(set(versions))
        assert versions[0] == 1


def test_engine_variants_are_chosen_by_backend() -> None:
    postgres = {m.version: m.path.name for m in discover("postgres")}
    timescale = {m.version: m.path.name for m in discover("timescaledb")}
    assert postgres[3].endswith(".postgres.sql")
    assert timescale[3].endswith(".timescaledb.sql")


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        (["0001_a.sql", "0001_b.sql"], "share version"),
        (["0001_a.postgres.sql"], "lacks a variant"),
        (["0001_a.sql", "0001_a.postgres.sql", "0001_a.timescaledb.sql"], "both common"),
        (["1_a.sql"], "not understood"),
    ],
)
def test_inconsistent_migration_sets_are_refused(
    tmp_path: Path, files: list[str], problem: str
) -> None:
    for name in files:
        (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(ValueError, match=problem):
        discover("postgres", tmp_path)


def test_apply_records_versions_and_is_idempotent(empty_database_url: str) -> None:
    with psycopg.connect(empty_database_url) as conn:
        applied = apply_migrations(conn)
        assert [m.version for m in applied] == [m.version for m in discover(current_backend(conn))]
        assert apply_migrations(conn) == []
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY 1").fetchall()
    expected = sorted({(m.version, m.name) for m in discover("postgres")})
    assert rows == expected
    assert len(list(MIGRATIONS_DIR.glob("*.sql"))) >= len(rows)


def test_readings_partitioning_matches_the_backend(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        backend = current_backend(conn)
        if backend == "timescaledb":
            row = conn.execute(
                "SELECT count(*) FROM timescaledb_information.hypertables"
                " WHERE hypertable_name = 'container_readings'"
            ).fetchone()
            assert row == (1,)
            return
        kind = conn.execute(
            "SELECT partstrat FROM pg_partitioned_table"
            " WHERE partrelid = 'container_readings'::regclass"
        ).fetchone()
        assert kind == ("r",)


def test_new_month_partition_takes_rows_from_the_default(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        if current_backend(conn) == "timescaledb":
            pytest.skip("TimescaleDB makes chunks by itself")
        far = datetime(2031, 5, 17, 12, tzinfo=UTC)
        conn.execute(
            "INSERT INTO container_readings (time, container_id, dev_eui, distance_mm)"
            " VALUES (%s, 'c', '0000000000000001', 1000)",
            (far,),
        )
        assert _count(conn, "container_readings_default") == 1
        conn.execute(
            "SELECT tilsyn_ensure_month_partition('container_readings', %s)", (far.date(),)
        )
        assert _count(conn, "container_readings_default") == 0
        assert _count(conn, "container_readings_203105") == 1
        assert _count(conn, "container_readings") == 1


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("setting", "preloaded"),
    [
        ("timescaledb", True),
        ("pg_stat_statements, timescaledb", True),
        ("'$libdir/timescaledb'", True),
        ('"timescaledb",auto_explain', True),
        ("", False),
        ("pg_stat_statements", False),
        ("timescaledb_toolkit", False),
    ],
)
def test_timescaledb_is_only_loaded_when_the_server_preloads_it(
    setting: str, preloaded: bool
) -> None:
    """Creating the extension on a server that does not preload it is a FATAL error that
    closes the connection, so the PostgreSQL fallback must be chosen before trying."""
    assert preloads_timescaledb(setting) is preloaded


def test_the_test_server_preload_setting_is_read(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        (setting,) = conn.execute("SHOW shared_preload_libraries").fetchone() or ("",)
        assert preloads_timescaledb(setting) is (current_backend(conn) == "timescaledb")
