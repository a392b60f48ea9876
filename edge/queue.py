"""The bounded outbound queue: oldest-first delivery, newest data kept when full.

A message leaves the queue only when the platform's receipt names it: the broker's PUBACK only
marks it as sent (`sent_at`), because a broker restarted without its subscribers acknowledges a
message and then routes it to nobody. A sent message without a receipt in time is due again.
When the queue is over its count or byte limit, the oldest messages make room, whether sent or
not: after days offline the newest readings say most about the patient now, and the platform
learns from the drop counters how much is missing and why.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from tilsyn.edge.db import Database

# queue_full: oldest messages that made room; invalid: implausible readings; disk_full: oldest
# messages that made room on a full disk, and readings no room could be made for;
# queue_corrupt: queue files found damaged and set aside (their messages are lost).
DROP_REASONS = ("queue_full", "invalid", "disk_full", "queue_corrupt", "answers_refused")


DEFAULT_MAX_MESSAGES = 100_000
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_SQL_VARIABLES = 500  # ids per DELETE, well under SQLite's limit on bound parameters


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
    sent_at: float | None = None  # set when it is due again after a send without receipt


@dataclass(frozen=True, slots=True)
class QueueStats:
    depth: int
    size_bytes: int
    oldest_queued_at: float | None
    dropped: dict[str, int] = field(default_factory=dict)
    awaiting_receipt: int = 0  # sent and acknowledged by the broker, not yet receipted

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
        """The oldest messages, sent or not."""
        with self.db.reading() as conn:
            rows = conn.execute(
                "SELECT seq, message_id, queued_at, body FROM outbox ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [Queued(int(s), str(m), float(q), bytes(b)) for s, m, q, b in rows]

    def next_due(self, now: float, receipt_timeout_s: float, window: int) -> Queued | None:
        """The oldest message never sent or sent more than `receipt_timeout_s` ago without a
        receipt; None if there is none or `window` sent messages are still awaiting theirs."""
        overdue_before = now - receipt_timeout_s
        with self.db.reading() as conn:
            (awaiting,) = conn.execute(
                "SELECT count(*) FROM outbox WHERE sent_at >= ?", (overdue_before,)
            ).fetchone()
            if awaiting >= window:
                return None
            row = conn.execute(
                "SELECT seq, message_id, queued_at, body, sent_at FROM outbox"
                " WHERE sent_at IS NULL OR sent_at < ? ORDER BY seq LIMIT 1",
                (overdue_before,),
            ).fetchone()
        if row is None:
            return None
        seq, message_id, queued_at, body, sent_at = row
        return Queued(int(seq), str(message_id), float(queued_at), bytes(body), sent_at)

    def mark_sent(self, seq: int, at: float) -> None:
        """The broker acknowledged it (a no-op if a receipt or a drop removed it meanwhile)."""
        with self.db.transaction(durable=False) as conn:
            conn.execute("UPDATE outbox SET sent_at = ? WHERE seq = ?", (at, seq))

    def send_all_again(self) -> int:
        """After a reconnect: a receipt for an earlier send may never come. Returns how many."""
        with self.db.transaction() as conn:
            cursor = conn.execute("UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL")
            return cursor.rowcount

    def settle(self, message_ids: Sequence[str]) -> int:
        """Forget messages the platform has dealt with; returns how many were still queued."""
        with self.db.transaction(durable=False) as conn:
            settled = 0
            for first in range(0, len(message_ids), _SQL_VARIABLES):
                chunk = list(message_ids[first : first + _SQL_VARIABLES])
                marks = ", ".join("?" * len(chunk))
                cursor = conn.execute(f"DELETE FROM outbox WHERE message_id IN ({marks})", chunk)
                settled += cursor.rowcount
            return settled

    def stats(self) -> QueueStats:
        with self.db.reading() as conn:
            depth, size, oldest, awaiting = conn.execute(
                "SELECT count(*), coalesce(sum(size), 0), min(queued_at), count(sent_at)"
                " FROM outbox"
            ).fetchone()
            drops = dict(conn.execute("SELECT reason, count FROM drops").fetchall())
        dropped = {reason: int(drops.get(reason, 0)) for reason in DROP_REASONS}
        return QueueStats(int(depth), int(size), oldest, dropped, int(awaiting))

    def shed_oldest(self, share: float = 0.1, at_least_bytes: int = 256 * 1024) -> int:
        """Drop the oldest messages, a `share` of the queue's bytes but at least
        `at_least_bytes` (whole pages must come free), counted as lost to a full disk: as when
        the queue is full, the newest readings matter most."""
        with self.db.transaction() as conn:
            (total,) = conn.execute("SELECT coalesce(sum(size), 0) FROM outbox").fetchone()
            target = max(total * share, at_least_bytes)
            doomed, freed = [], 0
            for seq, size in conn.execute("SELECT seq, size FROM outbox ORDER BY seq"):
                if freed >= target:
                    break
                doomed.append(seq)
                freed += size
            for start in range(0, len(doomed), _SQL_VARIABLES):
                chunk = doomed[start : start + _SQL_VARIABLES]
                conn.execute(
                    f"DELETE FROM outbox WHERE seq IN ({', '.join('?' * len(chunk))})", chunk
                )
            if doomed:
                count_drop(conn, "disk_full", len(doomed))
        return len(doomed)

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
