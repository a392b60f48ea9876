"""Measuring on schedule, validation at the edge, and the messages the platform parses."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tilsyn.codecs.fhir import parse_observation
from tilsyn.edge.agent import Agent, AgentOptions, saved_cursor
from tilsyn.edge.db import disk_full
from tilsyn.edge.display import FileDisplay
from tilsyn.edge.readings import Reading
from tilsyn.edge.sources import MemorySource
from tilsyn.platform.ingest.edge import parse_envelope

HOUR = 3600.0


def _reading(**fields: object) -> Reading:
    base: dict[str, object] = {
        "reading_id": "r-1",
        "patient_id": "P-1",
        "kind": "spo2",
        "value": 95,
        "taken_at": datetime(2025, 3, 3, 9, tzinfo=UTC),
        "device_id": "oximeter-1",
    }
    return Reading.model_validate(base | fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"value": 101},
        {"value": -1},
        {"value": float("nan")},
        {"kind": "blood_pressure", "value": (80, 120)},
        {"kind": "blood_pressure", "value": 120},
        {"value": (120, 80)},
        {"taken_at": datetime(2025, 3, 3, 9)},
        {"patient_id": "P_1"},
        {"kind": "pain"},
    ],
)
def test_implausible_readings_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _reading(**fields)


def test_a_reading_becomes_an_observation_the_platform_parses() -> None:
    parsed = parse_observation(_reading(kind="blood_pressure", value=(142, 91)).observation())
    assert (parsed.patient_id, parsed.kind, parsed.observation_id) == (
        "P-1",
        "blood_pressure",
        "r-1",
    )
    assert parsed.values == {"systolic": 142, "diastolic": 91}


def _advance(agent: Agent, hours: float) -> int:
    agent.clock.at += hours * HOUR  # type: ignore[attr-defined]
    return agent.measure_once()


def test_due_readings_are_queued_once_in_messages_the_platform_accepts(
    agent: Agent, source: MemorySource
) -> None:
    source.values |= {("P-1", "spo2"): 96, ("P-1", "blood_pressure"): (130, 80)}
    source.values[("P-2", "body_weight")] = 81.5
    assert _advance(agent, 4) == 3  # 06:00 -> 10:00: 07:30 weight, 08:00 BP, 09:00 SpO2
    assert _advance(agent, 0.5) == 0, "nothing is due twice"
    (message,) = agent.queue.peek(5)
    envelope = parse_envelope("hub-1", message.body)
    assert envelope.message_id == message.message_id
    kinds = sorted(parse_observation(entry).kind for entry in envelope.entries)
    assert kinds == ["blood_pressure", "body_weight", "spo2"]


def test_a_first_run_measures_from_its_clocks_start_however_late_it_begins(
    agent_at: Callable[[float], Agent], source: MemorySource, start: float
) -> None:
    """On a simulated clock hours pass while the agent starts up: its first readings must not
    be taken for ones missed during downtime."""
    source.values |= {("P-1", "spo2"): 96, ("P-1", "blood_pressure"): (130, 80)}
    source.values[("P-2", "body_weight")] = 81.5
    agent = agent_at(start)
    assert _advance(agent, 12) == 3  # 06:00-18:00: 07:30 weight, 08:00 BP, 09:00 SpO2


def test_after_downtime_only_the_last_hours_are_caught_up(
    agent_at: Callable[[float], Agent], source: MemorySource, start: float
) -> None:
    """Switched off for two days: the prompts of the days before are past being useful."""
    source.values |= {("P-1", "spo2"): 96, ("P-1", "blood_pressure"): (130, 80)}
    source.values[("P-2", "body_weight")] = 81.5
    agent_at(start).measure_once()  # the cursor, saved: 06:00 on the first day
    again = agent_at(start + 2 * 24 * HOUR + 4 * HOUR)  # 10:00 two days later
    assert again.measure_once() == 3  # 04:00-10:00: weight, BP, SpO2; not the 8 before


def test_invalid_readings_are_dropped_and_counted(agent: Agent, source: MemorySource) -> None:
    source.values |= {("P-1", "spo2"): 140, ("P-1", "blood_pressure"): (130, 80)}
    assert _advance(agent, 24) == 2  # two BP readings; the SpO2 of 140 % is refused
    stats = agent.queue.stats()
    assert stats.dropped == {
        "queue_full": 0,
        "invalid": 1,
        "disk_full": 0,
        "queue_corrupt": 0,
        "answers_refused": 0,
    }
    assert stats.depth == 1


def test_the_platform_schedule_replaces_the_default(agent: Agent, source: MemorySource) -> None:
    source.values[("P-2", "body_weight")] = 80.0
    config = {"version": 1, "patients": {"P-2": {"schedule": {"body_weight": ["06:30", "07:00"]}}}}
    assert agent.config.offer(json.dumps(config).encode())
    assert _advance(agent, 1.2) == 2
    assert _advance(agent, 0.5) == 0, "07:30 is no longer on the schedule"


def test_a_kind_the_platform_does_not_schedule_keeps_its_default_times(
    agent: Agent, source: MemorySource
) -> None:
    """The platform schedules P-1's SpO2 only (it keeps daily tasks; her blood pressure may
    be a weekly one): the blood pressure is still prompted at its own 08:00 and 20:00."""
    source.values |= {("P-1", "spo2"): 96, ("P-1", "blood_pressure"): (130, 80)}
    config = {"version": 1, "patients": {"P-1": {"schedule": {"spo2": ["10:00"]}}}}
    assert agent.config.offer(json.dumps(config).encode())
    assert _advance(agent, 24) == 3  # 08:00 BP, 10:00 SpO2 (not 09:00), 20:00 BP


def test_a_kind_the_platform_gives_no_times_is_not_prompted(
    agent: Agent, source: MemorySource
) -> None:
    """P-1's blood pressure was taken off her plan: its default 08:00 and 20:00 are not used."""
    source.values |= {("P-1", "spo2"): 96, ("P-1", "blood_pressure"): (130, 80)}
    plan = {"schedule": {"spo2": ["10:00"], "blood_pressure": []}}
    assert agent.config.offer(json.dumps({"version": 1, "patients": {"P-1": plan}}).encode())
    assert _advance(agent, 24) == 1  # 10:00 SpO2 only


def test_a_kind_on_some_weekdays_is_prompted_on_those_days_while_others_stay_daily(
    agent: Agent, source: MemorySource
) -> None:
    """P-2 weighs on Mondays and Thursdays. P-1's SpO2, which the platform schedules without
    weekdays, and her blood pressure, which it does not schedule, are prompted every day."""
    source.values |= {("P-1", "spo2"): 96, ("P-1", "blood_pressure"): (130, 80)}
    source.values[("P-2", "body_weight")] = 80.0
    plans = {
        "P-1": {"schedule": {"spo2": ["09:00"]}},
        "P-2": {"schedule": {"body_weight": ["07:30"]}, "weekdays": {"body_weight": [1, 4]}},
    }
    assert agent.config.offer(json.dumps({"version": 1, "patients": plans}).encode())
    _advance(agent, 7 * 24)  # Monday 3 March 2025, 06:00, to the next Monday
    days: dict[str, list[int]] = {}
    for message in agent.queue.peek(100):
        for entry in parse_envelope("hub-1", message.body).entries:
            observation = parse_observation(entry)
            local = observation.effective.astimezone(ZoneInfo("Europe/Oslo"))
            days.setdefault(observation.kind, []).append(local.isoweekday())
    week = list(range(1, 8))
    assert {kind: sorted(weekdays) for kind, weekdays in days.items()} == {
        "body_weight": [1, 4],
        "spo2": week,
        "blood_pressure": sorted(week * 2),
    }


def test_delivery_marks_messages_sent_only_once_acknowledged(
    agent: Agent, source: MemorySource, publisher: Any
) -> None:
    source.values[("P-2", "body_weight")] = 80.0
    _advance(agent, 2)
    assert not agent.sender.deliver_next(), "offline: nothing confirmed"
    assert agent.queue.stats().awaiting_receipt == 0
    publisher.connected = True
    assert agent.sender.deliver_next()
    assert (agent.queue.stats().depth, agent.queue.stats().awaiting_receipt) == (1, 1)
    ((topic, body),) = publisher.sent
    assert topic == "tilsyn/edge/hub-1/up"
    assert json.loads(body)["messageId"] == parse_envelope("hub-1", body).message_id


def test_health_reports_queue_drops_contact_and_devices(
    agent: Agent, source: MemorySource, start: float
) -> None:
    source.values[("P-2", "body_weight")] = 80.0
    source.values[("P-1", "spo2")] = 250
    _advance(agent, 4)
    agent.state.touch_contact(start)
    report = json.loads(agent.health_report())
    assert report["hubId"] == "hub-1"
    assert (report["queueDepth"], report["dropped"]) == (
        1,
        {
            "total": 1,
            "byReason": {
                "queue_full": 0,
                "invalid": 1,
                "disk_full": 0,
                "queue_corrupt": 0,
                "answers_refused": 0,
            },
        },
    )
    assert report["queueBytes"] == agent.queue.stats().size_bytes > 0
    assert report["lastContact"].startswith("2025-03-03T05:00:00")
    assert [d["deviceId"] for d in report["devices"]] == ["hub-1-body-weight", "hub-1-spo2"]
    assert report["config"] == {"version": None, "refused": 0, "lastRefusal": None}


def _fill_the_disk(agent: Agent) -> None:
    """SQLite's own limit on the file's size set to what it holds now, and the queue's pages
    filled to the last byte with old messages: the next reading stored fails with
    SQLITE_FULL, as on a full disk."""
    with agent.db.reading() as conn:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages}")
    size, count = 2048, 0
    while size >= 16:
        try:
            agent.queue.enqueue(f"old-{count}", b"x" * size, 0.0)
            count += 1
        except sqlite3.OperationalError as error:
            assert disk_full(error)
            size //= 2


def test_a_full_disk_drops_the_oldest_messages_for_the_newest_readings(
    agent: Agent, source: MemorySource
) -> None:
    """The disk filled up below the queue's own limit: the hub used to stop on the error. The
    oldest messages make room, counted, and today's readings are kept."""
    source.values |= {("P-1", "spo2"): 96, ("P-1", "blood_pressure"): (130, 80)}
    source.values[("P-2", "body_weight")] = 81.5
    for _ in range(60):  # two months without signal
        _advance(agent, 24)
    _fill_the_disk(agent)
    depth_before = agent.queue.stats().depth
    source.values[("P-1", "spo2")] = 88
    del source.values[("P-2", "body_weight")]
    assert _advance(agent, 24) == 3
    stats = agent.queue.stats()
    assert stats.dropped["disk_full"] >= 1 and stats.depth < depth_before
    newest = agent.queue.peek(stats.depth)[-1]
    assert not newest.message_id.startswith("old-"), "the newest readings are the ones kept"
    report = json.loads(agent.health_report())
    assert report["dropped"]["byReason"]["disk_full"] == stats.dropped["disk_full"]


def test_a_damaged_queue_file_is_set_aside_and_the_hub_measures_on(
    tmp_path: Path, agent: Agent, source: MemorySource
) -> None:
    """A hub whose queue file was torn (a worn SD card) used to refuse to start at all."""
    data = tmp_path / "damaged"
    data.mkdir()
    (data / "edge.sqlite3").write_bytes(b"not a database " * 100)
    assert saved_cursor(data) is None  # `tilsyn edge run` looks here before the agent starts
    options = AgentOptions(hub_id="hub-1", data_dir=data)
    again = Agent(options, source, agent.clock, agent.publisher, FileDisplay(tmp_path / "s"))
    try:
        assert again.queue.stats().dropped["queue_corrupt"] == 1
        (aside,) = data.glob("edge.sqlite3.damaged-*")
        assert aside.read_bytes().startswith(b"not a database")
        again.measure_once()
        source.values[("P-1", "spo2")] = 96
        assert _advance(again, 24) >= 1
    finally:
        again.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 4 MB filesystem, to fill up (needs root, as `make test` runs here)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a filesystem here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_on_a_really_full_disk_the_oldest_messages_make_room(
    small_disk: Path, agent: Agent, source: MemorySource
) -> None:
    """Deleting needs room in SQLite's write-ahead log too: without the reserve the hub
    could drop nothing and lost every new reading instead."""
    options = AgentOptions(hub_id="hub-1", data_dir=small_disk / "data")
    hub = Agent(options, source, agent.clock, agent.publisher, FileDisplay(small_disk / "s"))
    try:
        hub.measure_once()
        free = shutil.disk_usage(small_disk).free
        (small_disk / "other files").write_bytes(bytes(free - 200_000))
        source.values |= {("P-1", "spo2"): 96, ("P-1", "blood_pressure"): (130, 80)}
        _advance(hub, 24)
        first_day = hub.queue.peek(1)[0].message_id
        for _ in range(2000):  # months without signal, until the disk has filled up
            _advance(hub, 24)
            if hub.queue.stats().dropped["disk_full"]:
                break
        for _ in range(60):  # and two months more on the full disk
            _advance(hub, 24)
        stats = hub.queue.stats()
        kept = {m.message_id for m in hub.queue.peek(stats.depth)}
        newest_time = hub.clock.now()
        measured = hub.state.read("measured")
    finally:
        hub.close()
    assert stats.dropped["disk_full"] >= 1 and hub.unstored == 0
    assert first_day not in kept, "the oldest made room"
    assert measured is not None and newest_time > 0
