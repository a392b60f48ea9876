"""Backup and restore, as docs/deployment.md describes them, on plain PostgreSQL.

A populated database is dumped with `tilsyn db backup` and restored with `tilsyn db restore` into
a new one, and the platform reads the same data from both. A restore over existing data or from a
file that is no backup is refused and changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from direct_ingest import store
from fastapi.testclient import TestClient
from fix_auth import SignIn
from fix_db import create_database, drop_database
from lorawan import chirpstack_uplink
from registry_seed import sample_container

from tilsyn.cli import main
from tilsyn.codecs.fhir import build_observation
from tilsyn.platform.api.app import create_app
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.db.migrate import apply_migrations
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

pytestmark = pytest.mark.integration
DEV_EUI = "24e1247100ee0001"
NOW = datetime.now(UTC).replace(microsecond=0)


def populate(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        register_container(conn, sample_container("B1", DEV_EUI))
        register_patient(conn, PatientIn(patient_id="P1", unit="Våler"))
        register_hub(conn, HubIn(hub_id="hub-1", unit="Våler", patient_ids=["P1"]))
    readings = [
        chirpstack_uplink(DEV_EUI, "0175640382d007", f_cnt=n, time=NOW - timedelta(hours=n))
        for n in range(1, 50)
    ]
    vitals = [
        build_observation(
            "P1", "spo2", 90 + n % 8, NOW - timedelta(hours=n), observation_id=f"o{n}"
        )
        for n in range(1, 30)
    ]
    hub_message = {
        "messageId": "m1",
        "hubId": "hub-1",
        "sentAt": NOW.isoformat(),
        "entries": vitals,
    }
    store(
        database_url,
        *readings,
        ("tilsyn/edge/hub-1/up", json.dumps(hub_message).encode()),
        ("application/x/device/0000000000000bad/event/up", b"not json"),
    )


def table_counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        return {
            name: int((conn.execute(f'SELECT count(*) FROM "{name}"').fetchone() or (0,))[0])
            for name in tables
        }


@pytest.fixture
def new_database(postgres_server: str) -> Iterator[str]:
    name = f"tilsyn_restored_{uuid.uuid4().hex[:8]}"
    yield create_database(postgres_server, name)
    drop_database(postgres_server, name)


def tilsyn(monkeypatch: pytest.MonkeyPatch, database_url: str, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return main(list(argv))


def api_reads(database_url: str, headers: dict[str, dict[str, str]]) -> list[object]:
    with TestClient(create_app(database_url)) as client:
        return [
            client.get("/api/containers", headers=headers["operator"]).json(),
            client.get("/api/patients/P1/measurements", headers=headers["nurse"]).json(),
            client.get("/api/ingest/dead-letters", headers=headers["operator"]).json(),
        ]


def test_a_restored_backup_reads_the_same(
    database_url: str,
    new_database: str,
    sign_in: SignIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    populate(database_url)
    headers = {"operator": sign_in("operator"), "nurse": sign_in("home_care_nurse")}
    dump = tmp_path / "tilsyn.dump"
    assert tilsyn(monkeypatch, database_url, "db", "backup", str(dump)) == 0
    assert tilsyn(monkeypatch, new_database, "db", "restore", str(dump)) == 0
    original = table_counts(database_url)
    assert original["container_readings"] == 49 and original["vital_observations"] == 29
    assert table_counts(new_database) == original
    with psycopg.connect(new_database) as conn:
        assert apply_migrations(conn) == [], "the restored schema is not at the latest migration"
    # The sessions are restored too: the same sign-ins read the same answers from both.
    assert api_reads(new_database, headers) == api_reads(database_url, headers)


def test_a_restore_over_existing_data_is_refused_and_changes_nothing(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(database_url)
    dump = tmp_path / "tilsyn.dump"
    tilsyn(monkeypatch, database_url, "db", "backup", str(dump))
    before = table_counts(database_url)
    with pytest.raises(SystemExit, match=r"already holds \d+ tables; restore into a new, empty"):
        tilsyn(monkeypatch, database_url, "db", "restore", str(dump))
    assert table_counts(database_url) == before


def test_a_file_that_is_no_backup_is_refused(
    new_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"definitely not a dump")
    with pytest.raises(SystemExit, match="pg_restore failed"):
        tilsyn(monkeypatch, new_database, "db", "restore", str(junk))
    with pytest.raises(SystemExit, match="no backup file"):
        tilsyn(monkeypatch, new_database, "db", "restore", str(tmp_path / "missing.dump"))
    assert table_counts(new_database) == {}


def test_a_failed_backup_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "tilsyn.dump"
    unreachable = "postgresql://postgres@127.0.0.1:1/nothing"
    with pytest.raises(SystemExit, match="pg_dump failed"):
        tilsyn(monkeypatch, unreachable, "db", "backup", str(target))
    assert list(tmp_path.iterdir()) == []
