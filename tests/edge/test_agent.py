"""Measuring on schedule, validation at the edge, and the messages the platform parses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from tilsyn.codecs.fhir import parse_observation
from tilsyn.edge.agent import Agent
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


def test_invalid_readings_are_dropped_and_counted(agent: Agent, source: MemorySource) -> None:
    source.values |= {("P-1", "spo2"): 140, ("P-1", "blood_pressure"): (130, 80)}
    assert _advance(agent, 24) == 2  # two BP readings; the SpO2 of 140 % is refused
    stats = agent.queue.stats()
    assert stats.dropped == {"queue_full": 0, "invalid": 1}
    assert stats.depth == 1


def test_the_platform_schedule_replaces_the_default(agent: Agent, source: MemorySource) -> None:
    source.values[("P-2", "body_weight")] = 80.0
    config = {"version": 1, "patients": {"P-2": {"schedule": {"body_weight": ["06:30", "07:00"]}}}}
    assert agent.config.offer(json.dumps(config).encode())
    assert _advance(agent, 1.2) == 2
    assert _advance(agent, 0.5) == 0, "07:30 is no longer on the schedule"


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
        {"total": 1, "byReason": {"queue_full": 0, "invalid": 1}},
    )
    assert report["queueBytes"] == agent.queue.stats().size_bytes > 0
    assert report["lastContact"].startswith("2025-03-03T05:00:00")
    assert [d["deviceId"] for d in report["devices"]] == ["hub-1-body-weight", "hub-1-spo2"]
    assert report["config"] == {"version": None, "refused": 0, "lastRefusal": None}
