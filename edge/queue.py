"""The bounded outbound queue: oldest-first delivery, newest data kept when full.

A message is deleted only after the broker acknowledged it. When the queue is over its count or
byte limit, the oldest messages make room: after days offline the newest readings say most about
the patient now, and the platform learns from the drop counters how much is missing and why.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from tilsyn.edge.db import Database

DROP_REASONS = ("queue_full", "invalid")


DEFAULT_MAX_MESSAGES = 100_000
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class QueueLimits:
    max_messages: int = DEFAULT_MAX_MESSAGES
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        if self.max_messages < 1 or self.max_bytes < 1:
            raise ValueError("queue limits must be positive")


@dataclass(frozen=True, slots=True)
class Queued:
    seq: int
    message_id: str
    queued_at: float
    body: bytes


@dataclass(frozen=True, slots=True)
class QueueStats:
    depth: int
    size_bytes: int
    oldest_queued_at: float | None
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


class DiskQueue:
    def __init__(self, db: Database, limits: QueueLimits | None = None) -> None:
        self.db = db
        self.limits = limits or QueueLimits()

    def push(self, conn: sqlite3.Connection, message_id: str, body: bytes, at: float) -> int:
        """Append inside the caller's transaction; returns how many old messages were dropped."""
        if len(body) > self.limits.max_bytes:
            count_drop(conn, "queue_full", 1)  # it could never fit: drop it, say so
            return 1
        conn.execute(
            "INSERT INTO outbox (message_id, queued_at, size, body) VALUES (?, ?, ?, ?)",
            (message_id, at, len(body), body),
        )
        return self._make_room(conn)

    def enqueue(self, message_id: str, body: bytes, at: float) -> int:
        with self.db.transaction() as conn:
            return self.push(conn, message_id, body, at)

    def peek(self, limit: int = 1) -> list[Queued]:
        """The oldest messages, the ones to send next."""
        with self.db.reading() as conn:
            rows = conn.execute(
                "SELECT seq, message_id, queued_at, body FROM outbox ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [Queued(int(s), str(m), float(q), bytes(b)) for s, m, q, b in rows]

    def remove(self, seq: int) -> None:
        """Forget a message the broker acknowledged (a no-op if it was dropped meanwhile)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def stats(self) -> QueueStats:
        with self.db.reading() as conn:
            depth, size, oldest = conn.execute(
                "SELECT count(*), coalesce(sum(size), 0), min(queued_at) FROM outbox"
            ).fetchone()
            drops = dict(conn.execute("SELECT reason, count FROM drops").fetchall())
        dropped = {reason: int(drops.get(reason, 0)) for reason in DROP_REASONS}
        return QueueStats(int(depth), int(size), oldest, dropped)

    def _make_room(self, conn: sqlite3.Connection) -> int:
        depth, size = conn.execute("SELECT count(*), coalesce(sum(size), 0) FROM outbox").fetchone()
        dropped = 0
        while depth > self.limits.max_messages or size > self.limits.max_bytes:
            seq, oldest_size = conn.execute(
                "SELECT seq, size FROM outbox ORDER BY seq LIMIT 1"
            ).fetchone()
            conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            depth, size, dropped = depth - 1, size - oldest_size, dropped + 1
        if dropped:
            count_drop(conn, "queue_full", dropped)
        return dropped


def count_drop(conn: sqlite3.Connection, reason: str, count: int) -> None:
    if reason not in DROP_REASONS:
        raise ValueError(f"unknown drop reason {reason!r}")
    conn.execute(
        "INSERT INTO drops (reason, count) VALUES (?, ?)"
        " ON CONFLICT (reason) DO UPDATE SET count = count + excluded.count",
        (reason, count),
    )
