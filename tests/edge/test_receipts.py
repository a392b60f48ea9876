"""Receipts: a message leaves the queue only when the platform names it; one sent without a
receipt in time, or before a reconnect, is sent again with the same id, oldest first."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from waiting import wait_for

from tilsyn.edge.agent import Agent, AgentOptions
from tilsyn.edge.db import DB_NAME, Database
from tilsyn.edge.display import FileDisplay
from tilsyn.edge.queue import DiskQueue, QueueLimits
from tilsyn.edge.sender import ReceiptPolicy, Sender
from tilsyn.edge.sources import MemorySource
from tilsyn.edge.state import AgentState

TIMEOUT_S, WINDOW = 60.0, 2


def _queue(tmp_path: Path, count: int, **limits: int) -> DiskQueue:
    queue = DiskQueue(Database(tmp_path), QueueLimits(**limits))
    for n in range(count):
        queue.enqueue(f"m{n}", json.dumps({"messageId": f"m{n}"}).encode(), at=100.0 + n)
    return queue


def _due(queue: DiskQueue, now: float) -> str | None:
    message = queue.next_due(now, TIMEOUT_S, WINDOW)
    return None if message is None else message.message_id


def _receipt(
    *ids: str, hub_id: str = "hub-1", stored_at: str = "2026-11-23T04:00:00.000+00:00"
) -> bytes:
    body = {"hubId": hub_id, "messageIds": list(ids), "storedAt": stored_at}
    return json.dumps(body).encode()


def _queued_ids(agent: Agent) -> list[str]:
    return [m.message_id for m in agent.queue.peek(100)]


def _weigh_two_hours_later(agent: Agent, source: MemorySource) -> None:
    """One new weight, two hours on: the agent queues one message for it."""
    source.values[("P-2", "body_weight")] = 80.0
    agent.clock.at += 2 * 3600  # type: ignore[attr-defined]
    agent.measure_once()


def test_sent_messages_wait_for_receipts_within_a_window(tmp_path: Path) -> None:
    queue = _queue(tmp_path, 4)
    for expected in ("m0", "m1"):
        message = queue.next_due(1000.0, TIMEOUT_S, WINDOW)
        assert message is not None and message.message_id == expected
        queue.mark_sent(message.seq, at=1000.0)
    assert _due(queue, 1001.0) is None, "two await their receipts: the window is full"
    assert queue.settle(["m1"]) == 1
    assert _due(queue, 1001.0) == "m2"
    stats = queue.stats()
    assert (stats.depth, stats.awaiting_receipt) == (3, 1)


def test_a_send_without_receipt_in_time_is_due_again_before_newer_messages(
    tmp_path: Path,
) -> None:
    queue = _queue(tmp_path, 3)
    first = queue.next_due(1000.0, TIMEOUT_S, WINDOW)
    assert first is not None and first.sent_at is None
    queue.mark_sent(first.seq, at=1000.0)
    assert _due(queue, 1000.0 + TIMEOUT_S - 1) == "m1"
    again = queue.next_due(1000.0 + TIMEOUT_S + 1, TIMEOUT_S, WINDOW)
    assert again is not None and (again.message_id, again.sent_at) == ("m0", 1000.0)
    assert again.body == first.body


def test_after_a_reconnect_every_sent_message_is_due_again(tmp_path: Path) -> None:
    queue = _queue(tmp_path, 3)
    for _ in range(2):
        message = queue.next_due(1000.0, TIMEOUT_S, WINDOW)
        assert message is not None
        queue.mark_sent(message.seq, at=1000.0)
    assert queue.send_all_again() == 2
    assert _due(queue, 1000.0) == "m0"
    assert queue.stats().awaiting_receipt == 0


def test_messages_awaiting_receipt_count_against_the_bounds(tmp_path: Path) -> None:
    queue = _queue(tmp_path, 3, max_messages=3)
    for seq_message in queue.peek(2):
        queue.mark_sent(seq_message.seq, at=1000.0)
    queue.enqueue("m3", b"{}", at=104.0)
    assert [m.message_id for m in queue.peek(10)] == ["m1", "m2", "m3"]
    stats = queue.stats()
    assert (stats.awaiting_receipt, stats.dropped["queue_full"]) == (1, 1)


def test_a_receipt_removes_exactly_the_messages_it_names(
    agent: Agent, source: MemorySource, publisher: Any
) -> None:
    source.values |= {("P-2", "body_weight"): 80.0, ("P-1", "spo2"): 97}
    source.values[("P-1", "blood_pressure")] = (130, 80)
    for hours in (1.6, 1.5, 11):  # to 07:36, 09:06 and 20:06: a message each
        agent.clock.at += hours * 3600  # type: ignore[attr-defined]
        agent.measure_once()
    publisher.connected = True
    assert agent.sender.deliver_next() and agent.sender.deliver_next()
    first, second, third = _queued_ids(agent)
    assert agent.queue.stats().awaiting_receipt == 2
    assert [json.loads(body)["messageId"] for _, body in publisher.sent] == [first, second]
    assert agent.take_receipt(_receipt(second)) == 1
    assert _queued_ids(agent) == [first, third]


def test_a_receipt_naming_unknown_ids_settles_the_known_and_logs_the_rest(
    agent: Agent, source: MemorySource, caplog: pytest.LogCaptureFixture
) -> None:
    _weigh_two_hours_later(agent, source)
    (queued,) = _queued_ids(agent)
    with caplog.at_level(logging.INFO, logger="tilsyn.edge.receipts"):
        assert agent.take_receipt(_receipt("never-sent", queued, "other")) == 1
    assert _queued_ids(agent) == []
    assert "2 message ids not queued" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"hubId": "hub-1", "messageIds": []}',
        b'{"hubId": "hub-1", "messageIds": "abc", "storedAt": "2026-11-23T04:00:00Z"}',
        b'{"hubId": "hub-1", "messageIds": ["x"], "storedAt": "yesterday"}',
        b'{"messageIds": ["x"], "storedAt": "2026-11-23T04:00:00Z"}',
    ],
    ids=["not-json", "array", "no-ids", "ids-not-a-list", "bad-time", "no-hub"],
)
def test_a_malformed_receipt_is_logged_and_ignored(
    agent: Agent, source: MemorySource, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    _weigh_two_hours_later(agent, source)
    before = _queued_ids(agent)
    with caplog.at_level(logging.WARNING, logger="tilsyn.edge.receipts"):
        assert agent.take_receipt(body) == 0
    assert _queued_ids(agent) == before
    assert "malformed receipt ignored" in caplog.text


def test_a_receipt_for_another_hub_is_logged_and_ignored(
    agent: Agent, source: MemorySource, caplog: pytest.LogCaptureFixture
) -> None:
    _weigh_two_hours_later(agent, source)
    (queued,) = _queued_ids(agent)
    with caplog.at_level(logging.WARNING, logger="tilsyn.edge.receipts"):
        assert agent.take_receipt(_receipt(queued, hub_id="hub-2")) == 0
    assert _queued_ids(agent) == [queued]
    assert "receipt for hub hub-2 ignored: this is hub-1" in caplog.text


def test_the_sender_repeats_unreceipted_sends_with_the_same_id_and_counts_them(
    tmp_path: Path, publisher: Any
) -> None:
    queue = _queue(tmp_path, 2)
    state = AgentState(queue.db)
    publisher.connected = True
    sender = Sender("hub-1", queue, state, publisher, ReceiptPolicy(timeout_s=0.2, window=1))
    assert sender.deliver_next()
    assert not sender.deliver_next(), "the window of one awaits its receipt"
    time.sleep(0.3)
    assert sender.deliver_next()
    sender.send_all_again()
    assert sender.deliver_next()
    sent_ids = [json.loads(body)["messageId"] for _, body in publisher.sent]
    assert sent_ids == ["m0", "m0", "m0"]
    assert state.read("resent") == 2  # once for the timeout, once for the reconnect
    assert queue.settle(["m0"]) == 1
    assert sender.deliver_next()
    assert [json.loads(body)["messageId"] for _, body in publisher.sent][-1] == "m1"


def test_after_a_reconnect_the_sender_sends_what_awaited_a_receipt(
    tmp_path: Path, publisher: Any
) -> None:
    queue = _queue(tmp_path, 2)
    publisher.connected = True
    sender = Sender("hub-1", queue, AgentState(queue.db), publisher, ReceiptPolicy(window=1))
    sender.start()
    try:
        wait_for(lambda: len(publisher.sent) == 1, timeout=10)
        publisher.connections += 1  # the connection dropped and came back
        wait_for(lambda: len(publisher.sent) == 2, timeout=10)
    finally:
        sender.stop()
        sender.join(timeout=5)
    assert [json.loads(body)["messageId"] for _, body in publisher.sent] == ["m0", "m0"]


def test_health_and_status_show_what_awaits_a_receipt(
    agent: Agent, source: MemorySource, publisher: Any
) -> None:
    _weigh_two_hours_later(agent, source)
    publisher.connected = True
    assert agent.sender.deliver_next()
    report = json.loads(agent.health_report())
    assert (report["queueDepth"], report["awaitingReceipt"]) == (1, 1)
    assert report["resentWithoutReceipt"] == 0


def _platform_time(ahead_s: float) -> str:
    """The platform's clock as a receipt gives it, `ahead_s` ahead of this machine's."""
    return datetime.fromtimestamp(time.time() + ahead_s, UTC).isoformat()


def _send_one(agent: Agent, source: MemorySource, publisher: Any) -> dict[str, Any]:
    """Queue the next day's weighing, send it, and return what went out."""
    source.values[("P-2", "body_weight")] = 80.0
    agent.clock.at += 24 * 3600  # type: ignore[attr-defined]
    assert agent.measure_once() == 1
    assert agent.sender.deliver_next()
    message: dict[str, Any] = json.loads(publisher.sent[-1][1])
    return message


def test_a_receipt_ahead_of_the_hub_says_its_clock_runs_behind_and_every_send_says_so(
    agent: Agent, source: MemorySource, publisher: Any, caplog: pytest.LogCaptureFixture
) -> None:
    publisher.connected = True
    first = _send_one(agent, source, publisher)
    assert "clockBehindS" not in first, "no receipt yet: nothing known about the clock"
    with caplog.at_level(logging.WARNING, logger="tilsyn.edge.receipts"):
        agent.take_receipt(_receipt(first["messageId"], stored_at=_platform_time(3600)))
    assert "clock runs 3600 s behind" in caplog.text
    second = _send_one(agent, source, publisher)
    assert second["clockBehindS"] == pytest.approx(3600, abs=5)
    assert json.loads(agent.health_report())["clockBehindS"] == pytest.approx(3600, abs=5)

    # A receipt held back while the hub was offline is older still: it says nothing.
    agent.take_receipt(_receipt(second["messageId"], stored_at=_platform_time(-7200)))
    assert _send_one(agent, source, publisher)["clockBehindS"] == pytest.approx(3600, abs=5)
    # A fresh one within the tolerance: the clock was set right.
    agent.take_receipt(_receipt("any", stored_at=_platform_time(-1)))
    assert "clockBehindS" not in _send_one(agent, source, publisher)
    assert json.loads(agent.health_report())["clockBehindS"] == 0


def test_a_queue_written_before_receipts_is_upgraded_and_sends_everything(
    tmp_path: Path,
) -> None:
    with closing(sqlite3.connect(tmp_path / DB_NAME)) as conn:
        conn.executescript(
            """CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,
                   message_id TEXT NOT NULL UNIQUE, queued_at REAL NOT NULL,
                   size INTEGER NOT NULL, body BLOB NOT NULL);
               INSERT INTO outbox (message_id, queued_at, size, body)
                   VALUES ('old-1', 1.0, 2, X'7B7D'), ('old-2', 2.0, 2, X'7B7D');"""
        )
    queue = DiskQueue(Database(tmp_path))
    assert _due(queue, 1000.0) == "old-1"
    assert (queue.stats().depth, queue.stats().awaiting_receipt) == (2, 0)


def test_a_clock_known_to_run_behind_is_still_known_after_a_restart(
    tmp_path: Path, agent: Agent, source: MemorySource, publisher: Any
) -> None:
    """The clock is no righter after a restart: what the receipts taught is kept, or every
    message before the first new receipt (up to a window of them) is stored two hours early
    and, resent later, taken for a duplicate."""
    publisher.connected = True
    first = _send_one(agent, source, publisher)
    agent.take_receipt(_receipt(first["messageId"], stored_at=_platform_time(7200)))
    options = AgentOptions(hub_id="hub-1", data_dir=tmp_path / "data", offline_after_s=600.0)
    again = Agent(options, source, agent.clock, publisher, FileDisplay(tmp_path / "screen-2"))
    try:
        again.measure_once()  # picks up the saved cursor
        assert _send_one(again, source, publisher)["clockBehindS"] == pytest.approx(7200, abs=5)
    finally:
        again.close()
