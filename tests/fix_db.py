"""A throwaway PostgreSQL for the session, and a fresh migrated database for each test.

Set TILSYN_TEST_DATABASE_URL (a superuser URL) to run the suite against another server, such as
one with TimescaleDB.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tilsyn.platform.db.embedded import EmbeddedPostgres
from tilsyn.platform.db.migrate import apply_migrations


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """An administrative URL of the server the tests use."""
    given = os.environ.get("TILSYN_TEST_DATABASE_URL")
    if given:
        yield given
        return
    # Not under pytest's tmp_path: that is private to root, and the server runs as `nobody`.
    work = Path(tempfile.mkdtemp(prefix="tilsyn-test-pg-"))
    work.chmod(0o755)
    server = EmbeddedPostgres(work / "data", durable=False)
    server.start()
    yield server.url
    server.stop()
    shutil.rmtree(work, ignore_errors=True)


def database_in(server_url: str, name: str) -> str:
    return make_conninfo(server_url, dbname=name)


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(query)
    return database_in(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def migrated_template(postgres_server: str) -> Iterator[str]:
    """A database with every migration applied, copied for each test (faster than migrating)."""
    name = f"tilsyn_template_{uuid.uuid4().hex[:8]}"
    url = create_database(postgres_server, name)
    with psycopg.connect(url) as conn:
        apply_migrations(conn)
    yield name
    drop_database(postgres_server, name)


@pytest.fixture
def empty_database_url(postgres_server: str) -> Iterator[str]:
    name = f"tilsyn_empty_{uuid.uuid4().hex[:8]}"
    yield create_database(postgres_server, name)
    drop_database(postgres_server, name)


@pytest.fixture
def database_url(postgres_server: str, migrated_template: str) -> Iterator[str]:
    name = f"tilsyn_test_{uuid.uuid4().hex[:8]}"
    yield create_database(postgres_server, name, template=migrated_template)
    drop_database(postgres_server, name)
