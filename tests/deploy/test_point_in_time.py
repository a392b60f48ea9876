"""Point-in-time recovery as docs/deployment.md describes it, on plain PostgreSQL with the
embedded server's binaries: WAL archived as it is written, a base backup, more writes, a named
restore point, a mistaken delete; the base backup recovered to the restore point has everything
written before the mistake, and not the mistake."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from direct_ingest import store
from lorawan import chirpstack_uplink
from registry_seed import sample_container
from waiting import wait_for

from tilsyn.platform.containers.store import register_container
from tilsyn.platform.db.embedded import UNPRIVILEGED_USER, EmbeddedPostgres
from tilsyn.platform.db.migrate import apply_migrations

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DEV_EUI = "24e1247100ee0002"


def _server_user() -> str | None:
    """PostgreSQL will not run as root: then the server and its files belong to `nobody`."""
    return UNPRIVILEGED_USER if os.geteuid() == 0 else None


def _give_to_server(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    user = _server_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)
    return path


@pytest.fixture
def work() -> Iterator[Path]:
    if os.environ.get("TILSYN_TEST_DATABASE_URL"):
        pytest.skip("needs servers the test starts itself")
    made = Path(tempfile.mkdtemp(prefix="tilsyn-pitr-"))
    made.chmod(0o755)
    yield made
    shutil.rmtree(made, ignore_errors=True)


def _readings(database_url: str, first: int, count: int) -> None:
    store(
        database_url,
        *(
            chirpstack_uplink(DEV_EUI, "0175640382d007", f_cnt=n)
            for n in range(first, first + count)
        ),
    )


def _count(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM container_readings").fetchone() or (0,)
    return int(count)


def _archived(database_url: str) -> str | None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()
    return None if row is None else row[0]


def test_a_base_backup_and_the_wal_archive_recover_to_a_restore_point(work: Path) -> None:
    archive = _give_to_server(work / "wal-archive")
    original = EmbeddedPostgres(work / "data")
    original.start()  # initialises the cluster; archiving is switched on below, as in production
    original.stop()
    with (original.data_dir / "postgresql.conf").open("a") as conf:
        conf.write(
            "wal_level = replica\narchive_mode = on\n"
            f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'\n"
        )
    original.start()
    restored_dir = _give_to_server(work / "restored")
    try:
        with psycopg.connect(original.url) as conn:
            apply_migrations(conn)
            register_container(conn, sample_container("W1", DEV_EUI))
        _readings(original.url, 1, 40)  # before the base backup
        base_backup = [str(original.bin_dir / "pg_basebackup"), "-D", str(restored_dir)]
        base_backup += ["-X", "stream", "-c", "fast", "-h", "127.0.0.1", "-p", str(original.port)]
        subprocess.run(
            [*base_backup, "-U", "postgres"],
            check=True,
            capture_output=True,
            user=_server_user(),
            cwd="/",
        )
        _readings(original.url, 41, 25)  # after it: only the archived WAL has these
        with psycopg.connect(original.url, autocommit=True) as conn:
            conn.execute("SELECT pg_create_restore_point('before-mistake')")
            conn.execute("DELETE FROM container_readings")  # the mistake
            (segment,) = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone() or ("",)
        wait_for(lambda: (_archived(original.url) or "") >= segment, timeout=30)
        assert _count(original.url) == 0
    finally:
        original.stop()

    with (restored_dir / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"restore_command = 'cp {archive}/%f %p'\n"
            "recovery_target_name = 'before-mistake'\n"
            "recovery_target_action = 'promote'\n"
            "archive_mode = off\n"
        )
    (restored_dir / "recovery.signal").touch()
    recovered = EmbeddedPostgres(restored_dir)
    recovered.start()
    try:

        def promoted() -> bool:
            with psycopg.connect(recovered.url) as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            return row == (False,)

        wait_for(promoted, timeout=60)
        assert _count(recovered.url) == 65
        assert not (restored_dir / "recovery.signal").exists()
    finally:
        recovered.stop()
