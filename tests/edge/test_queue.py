"""The disk queue: WAL, oldest first, bounded by count and bytes, consistent after kill -9."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from tilsyn.edge.db import DB_NAME, Database
from tilsyn.edge.queue import DiskQueue, QueueLimits


def _queue(tmp_path: Path, **limits: int) -> DiskQueue:
    return DiskQueue(Database(tmp_path), QueueLimits(**limits))


def test_the_database_runs_in_wal_mode(tmp_path: Path) -> None:
    assert _queue(tmp_path).db.journal_mode == "wal"


def test_messages_come_out_oldest_first_and_leave_only_when_receipted(tmp_path: Path) -> None:
    queue = _queue(tmp_path)
    for n in range(3):
        queue.enqueue(f"m{n}", b"x" * (n + 1), at=100.0 + n)
    first = queue.peek(1)[0]
    assert first.message_id == "m0"
    assert queue.peek(1)[0] == first, "peeking must not consume"
    queue.mark_sent(first.seq, at=103.0)
    assert queue.stats().depth == 3, "a PUBACK alone does not remove it"
    assert queue.settle(["m0"]) == 1
    assert [m.message_id for m in queue.peek(10)] == ["m1", "m2"]
    stats = queue.stats()
    assert (stats.depth, stats.size_bytes, stats.oldest_queued_at) == (2, 5, 101.0)


def test_a_full_queue_drops_the_oldest_and_counts_it(tmp_path: Path) -> None:
    queue = _queue(tmp_path, max_messages=3)
    dropped = [queue.enqueue(f"m{n}", b"reading", at=float(n)) for n in range(5)]
    assert dropped == [0, 0, 0, 1, 1]
    assert [m.message_id for m in queue.peek(10)] == ["m2", "m3", "m4"]
    assert queue.stats().dropped == {
        "queue_full": 2,
        "invalid": 0,
        "disk_full": 0,
        "queue_corrupt": 0,
        "answers_refused": 0,
    }


def test_the_byte_bound_keeps_the_newest_that_fit(tmp_path: Path) -> None:
    queue = _queue(tmp_path, max_bytes=250)
    for n in range(4):
        queue.enqueue(f"m{n}", b"x" * 100, at=float(n))
    assert [m.message_id for m in queue.peek(10)] == ["m2", "m3"]
    assert queue.stats().size_bytes == 200
    assert queue.stats().dropped_total == 2


def test_a_message_larger_than_the_whole_queue_is_refused_and_counted(tmp_path: Path) -> None:
    queue = _queue(tmp_path, max_bytes=50)
    queue.enqueue("small", b"x" * 10, at=1.0)
    assert queue.enqueue("huge", b"x" * 51, at=2.0) == 1
    assert [m.message_id for m in queue.peek(10)] == ["small"]
    assert queue.stats().dropped["queue_full"] == 1


def test_queue_and_drop_counts_survive_reopening(tmp_path: Path) -> None:
    queue = _queue(tmp_path, max_messages=1)
    queue.enqueue("a", b"1", at=1.0)
    queue.enqueue("b", b"2", at=2.0)
    queue.db.close()
    again = _queue(tmp_path, max_messages=1)
    assert [m.message_id for m in again.peek(5)] == ["b"]
    assert again.stats().dropped["queue_full"] == 1


WRITER = """
import sys, time
from pathlib import Path
from tilsyn.edge.db import Database
from tilsyn.edge.queue import DiskQueue, QueueLimits
queue = DiskQueue(Database(Path(sys.argv[1])), QueueLimits(max_messages=200))
n = 0
while True:
    queue.enqueue(f"m{n}", b"x" * (n % 500 + 1), at=time.time())
    n += 1
    if n == 50:
        print("writing", flush=True)
"""


@pytest.mark.parametrize("run", range(3))
def test_kill_9_while_writing_leaves_a_consistent_queue(tmp_path: Path, run: int) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    time.sleep(0.2 + 0.15 * run)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    with closing(sqlite3.connect(tmp_path / DB_NAME)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    queue = _queue(tmp_path, max_messages=200)
    numbers = [int(m.message_id[1:]) for m in queue.peek(1000)]
    stats = queue.stats()
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), "a gap or reordering"
    assert numbers[0] == stats.dropped["queue_full"], "drops and deletions disagree"
    assert stats.size_bytes == sum(n % 500 + 1 for n in numbers)
