"""Small pieces of agent state that must outlive a restart, as JSON values in SQLite.

- `cursor`: the device-clock time up to which scheduled measurements were taken; it commits in
  the same transaction as the readings it covers, so a restart neither repeats nor skips one.
- `last_contact`: when the broker last acknowledged anything (wall clock).
- `config`, `config_rejected`: the applied platform configuration and the last refusal.
- `measured`: how many readings were queued in total (for status and tests).
- `resent`: how many times a message was sent again for want of a receipt.
- `clock_behind_s`: how far this hub's clock runs behind the platform's, from the receipts.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from tilsyn.edge.db import Database


def get(conn: sqlite3.Connection, key: str) -> Any:
    row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row[0])


def put(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO state (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def add(conn: sqlite3.Connection, key: str, amount: int) -> None:
    put(conn, key, int(get(conn, key) or 0) + amount)


class AgentState:
    """Typed access to the state keys the agent and `tilsyn edge status` share."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def read(self, key: str) -> Any:
        with self.db.reading() as conn:
            return get(conn, key)

    def write(self, key: str, value: Any) -> None:
        with self.db.transaction() as conn:
            put(conn, key, value)

    def count(self, key: str, amount: int) -> None:
        with self.db.transaction() as conn:
            add(conn, key, amount)

    @property
    def last_contact(self) -> float | None:
        value = self.read("last_contact")
        return None if value is None else float(value)

    def touch_contact(self, at: float) -> None:
        self.write("last_contact", at)
