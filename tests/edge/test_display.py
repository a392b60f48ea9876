"""The plan's red instruction reaches the patient when the hub is offline, and only then."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tilsyn.edge.agent import Agent
from tilsyn.edge.sources import MemorySource

CONFIG = {
    "version": 1,
    "patients": {
        "P-1": {
            "thresholds": {"spo2": {"green_low": 94, "yellow_low": 90}},
            "instructions": {"red": "Use your rescue pack and call 113", "yellow": "Rest"},
        }
    },
}


def _shown(tmp_path: Path) -> list[dict[str, object]]:
    screen = tmp_path / "screen"
    if not screen.exists():
        return []
    return [json.loads(line) for line in screen.read_text().splitlines()]


def _measure_spo2(agent: Agent, source: MemorySource, value: float) -> None:
    source.values[("P-1", "spo2")] = value
    agent.clock.at += 86_400  # type: ignore[attr-defined]
    agent.measure_once()


def test_a_red_reading_offline_shows_the_plans_instruction(
    agent: Agent, source: MemorySource, tmp_path: Path
) -> None:
    agent.config.offer(json.dumps(CONFIG).encode())
    agent.state.touch_contact(time.time() - 3600)  # longer ago than offline_after_s
    _measure_spo2(agent, source, 87)
    (shown,) = _shown(tmp_path)
    assert shown["patientId"] == "P-1"
    assert shown["instruction"] == "Use your rescue pack and call 113"
    assert "below the yellow limit 90 %" in str(shown["reasons"])


def test_online_the_red_reading_goes_to_staff_not_to_the_screen(
    agent: Agent, source: MemorySource, publisher: Any, tmp_path: Path
) -> None:
    agent.config.offer(json.dumps(CONFIG).encode())
    publisher.connected = True
    _measure_spo2(agent, source, 87)
    assert _shown(tmp_path) == []


def test_a_short_loss_of_contact_is_not_yet_offline(
    agent: Agent, source: MemorySource, tmp_path: Path
) -> None:
    agent.config.offer(json.dumps(CONFIG).encode())
    agent.state.touch_contact(time.time() - 60)
    _measure_spo2(agent, source, 87)
    assert _shown(tmp_path) == []


def test_a_yellow_reading_offline_shows_the_yellow_instruction_and_green_shows_nothing(
    agent: Agent, source: MemorySource, tmp_path: Path
) -> None:
    """Yellow means "call the patient", which the care team cannot do while the hub is cut
    off: the patient is told what the plan says for yellow instead."""
    agent.config.offer(json.dumps(CONFIG).encode())
    _measure_spo2(agent, source, 92)
    _measure_spo2(agent, source, 97)
    (shown,) = _shown(tmp_path)
    assert shown["instruction"] == "Rest"
    assert "below the green limit 94 %" in str(shown["reasons"])
