"""The agent's one SQLite file: the outbound queue, drop counters, applied config, state and the
questionnaire answers already queued.

WAL mode lets `tilsyn edge status` read while the agent writes, and makes a commit one append
to the log, so a kill -9 or a power cut leaves the last committed state. `synchronous=FULL`
because a reading acknowledged to the patient must survive a power cut, not just a crash.
Everything shares one connection behind a lock: the agent's writes are small and few, and one
connection lets a reading's enqueue and the schedule cursor commit in one transaction.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  TEXT NOT NULL UNIQUE,
    queued_at   REAL NOT NULL,
    size        INTEGER NOT NULL,
    body        BLOB NOT NULL,
    sent_at     REAL  -- when the broker acknowledged the latest send; NULL: to be sent
);
CREATE TABLE IF NOT EXISTS drops (
    reason      TEXT PRIMARY KEY,
    count       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);
-- Questionnaire answers queued from the inbox (answers.py), by the response's identity.
CREATE TABLE IF NOT EXISTS answers_taken (
    identity    TEXT PRIMARY KEY,
    taken_at    REAL NOT NULL
);
"""
DB_NAME = "edge.sqlite3"
# Disk space held back for the day the disk fills: deleting the oldest messages needs room in
# the write-ahead log too, so it is freed first (see Agent.measure_once).
RESERVE_NAME = "edge.reserve"
RESERVE_BYTES = 1024 * 1024
log = logging.getLogger(__name__)


class Database:
    """A serialised SQLite connection; `transaction()` commits all or nothing."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / DB_NAME
        self._lock = threading.RLock()
        # Where a damaged file was moved, if it was (the agent counts what that lost).
        self.set_aside: Path | None = None
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as error:
            # Not a database any more (a torn write on a worn SD card): a hub that refused to
            # start would measure nothing at all. The file is kept beside it for a look, and
            # the new queue counts it (one file; how many messages it held is unknown).
            self.set_aside = self._move_aside(error)
            self._conn = self._open()
            self._conn.execute(
                "INSERT INTO drops (reason, count) VALUES ('queue_corrupt', 1)"
                " ON CONFLICT (reason) DO UPDATE SET count = count + 1"
            )

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=5000")
            (verdict,) = conn.execute("PRAGMA quick_check").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {verdict}")
            conn.executescript(SCHEMA)
            self._upgrade(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _move_aside(self, error: sqlite3.DatabaseError) -> Path:
        aside = self.path.with_name(f"{DB_NAME}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                part.replace(aside.with_name(aside.name + suffix))
        log.error("queue file %s damaged (%s); moved to %s, starting anew", self.path, error, aside)
        return aside

    @staticmethod
    def _upgrade(conn: sqlite3.Connection) -> None:
        """Databases written before receipts have no `sent_at`: all their messages are unsent."""
        columns = {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
        if "sent_at" not in columns:
            conn.execute("ALTER TABLE outbox ADD COLUMN sent_at REAL")
        conn.execute("CREATE INDEX IF NOT EXISTS outbox_sent_at ON outbox (sent_at)")

    @property
    def journal_mode(self) -> str:
        row = self._conn.execute("PRAGMA journal_mode").fetchone()
        return str(row[0])

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so no deadlock with a reader.

        `durable=False` commits without an fsync, for changes a power cut may undo harmlessly
        (a sent mark, a receipt: the message is sent again and the platform finds it stored).
        The next durable commit flushes the log and them with it.
        """
        with self._lock:
            if not durable:
                self._conn.execute("PRAGMA synchronous=NORMAL")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                    self._conn.execute("COMMIT")
                except BaseException:
                    # SQLite may have rolled back already (a full disk): say the first error.
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            finally:
                if not durable:
                    self._conn.execute("PRAGMA synchronous=FULL")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def keep_reserve(self) -> None:
        """Hold up to RESERVE_BYTES of disk, as much as there is room for (a full disk gives
        back less than it took: the log keeps what it grew by)."""
        reserve = self.path.with_name(RESERVE_NAME)
        size = RESERVE_BYTES
        while size >= RESERVE_BYTES // 16:
            if reserve.exists() and reserve.stat().st_size >= size:
                return
            try:
                with reserve.open("wb") as file:
                    file.write(bytes(size))
                    file.flush()
                return
            except OSError:
                reserve.unlink(missing_ok=True)
                size //= 2

    def release_reserve(self) -> None:
        """Give the reserve back, and fold the write-ahead log into the database so that the
        next writes reuse the log from its start instead of growing it."""
        self.path.with_name(RESERVE_NAME).unlink(missing_ok=True)
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(RESTART)")
            except sqlite3.OperationalError as error:
                log.warning("write-ahead log not folded in: %s", error)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def disk_full(error: BaseException) -> bool:
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
