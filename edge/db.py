"""The agent's one SQLite file: the outbound queue, drop counters, applied config and state.

WAL mode lets `tilsyn edge status` read while the agent writes, and makes a commit one append
to the log, so a kill -9 or a power cut leaves the last committed state. `synchronous=FULL`
because a reading acknowledged to the patient must survive a power cut, not just a crash.
Everything shares one connection behind a lock: the agent's writes are small and few, and one
connection lets a reading's enqueue and the schedule cursor commit in one transaction.
"""

from __future__ import annotations

import sqlite3
import threading
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
"""
DB_NAME = "edge.sqlite3"


class Database:
    """A serialised SQLite connection; `transaction()` commits all or nothing."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / DB_NAME
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(SCHEMA)
        self._upgrade()

    def _upgrade(self) -> None:
        """Databases written before receipts have no `sent_at`: all their messages are unsent."""
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(outbox)")}
        if "sent_at" not in columns:
            self._conn.execute("ALTER TABLE outbox ADD COLUMN sent_at REAL")
        self._conn.execute("CREATE INDEX IF NOT EXISTS outbox_sent_at ON outbox (sent_at)")

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
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            finally:
                if not durable:
                    self._conn.execute("PRAGMA synchronous=FULL")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()
