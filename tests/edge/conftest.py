"""An agent on an in-memory source and a publisher whose broker the test switches on and off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tilsyn.edge.agent import Agent, AgentOptions
from tilsyn.edge.display import FileDisplay
from tilsyn.edge.schedule import Clock
from tilsyn.edge.sources import MemorySource

ZONE = ZoneInfo("Europe/Oslo")
START = datetime(2025, 3, 3, 6, 0, tzinfo=ZONE).timestamp()


class SwitchedPublisher:
    """A broker that acknowledges everything while `connected`, and nothing otherwise."""

    def __init__(self) -> None:
        self.connected = False
        self.connections = 1
        self.sent: list[tuple[str, bytes]] = []

    def wait_connected(self, timeout: float) -> bool:
        return self.connected

    def send_confirmed(self, topic: str, payload: bytes) -> bool:
        if self.connected:
            self.sent.append((topic, payload))
        return self.connected

    def send(self, topic: str, payload: bytes) -> None:
        if self.connected:
            self.sent.append((topic, payload))


class StoppedClock(Clock):
    """Time moves only when the test says so."""

    def __init__(self, start: float) -> None:
        super().__init__(start=start)
        self.at = start

    def now(self) -> float:
        return self.at


@pytest.fixture
def start() -> float:
    return START


@pytest.fixture
def publisher() -> SwitchedPublisher:
    return SwitchedPublisher()


@pytest.fixture
def source() -> MemorySource:
    return MemorySource(
        "hub-1",
        {
            "P-1": {"spo2": ["09:00"], "blood_pressure": ["08:00", "20:00"]},
            "P-2": {"body_weight": ["07:30"]},
        },
    )


@pytest.fixture
def agent_at(
    tmp_path: Path, source: MemorySource, publisher: SwitchedPublisher
) -> Iterator[Callable[[float], Agent]]:
    """Makes agents on one data directory, each on a clock stopped at the time given: the hub
    started, or started again, then."""
    made: list[Agent] = []

    def make(at: float) -> Agent:
        options = AgentOptions(hub_id="hub-1", data_dir=tmp_path / "data", offline_after_s=600.0)
        display = FileDisplay(tmp_path / "screen")
        made.append(Agent(options, source, StoppedClock(at), publisher, display))
        return made[-1]

    yield make
    for agent in made:
        agent.close()


@pytest.fixture
def agent(agent_at: Callable[[float], Agent]) -> Agent:
    made = agent_at(START)
    made.measure_once()  # sets the cursor: from here on every scheduled time is taken
    return made
