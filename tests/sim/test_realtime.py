"""`run_realtime` paces emissions by simulated time divided by the speed, and stops on demand."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tilsyn.sim import Simulation, load_scenario, run_realtime


class FakeClock:
    """A monotonic clock that moves only when the runner waits on the stop event."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class WaitingEvent(threading.Event):
    def __init__(self, clock: FakeClock, stop_after: int | None = None) -> None:
        super().__init__()
        self.clock, self.waits, self.stop_after = clock, [], stop_after

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        self.clock.now += timeout or 0.0
        if self.stop_after is not None and len(self.waits) >= self.stop_after:
            self.set()
        return self.is_set()


def test_emissions_are_published_at_their_scaled_time():
    scenario = load_scenario("ward", 1)
    expected = list(Simulation(scenario).run(duration=timedelta(hours=1)))
    clock, published = FakeClock(), []
    stop = WaitingEvent(clock)
    count = run_realtime(
        Simulation(scenario),
        lambda topic, payload, qos: published.append((clock.now, topic, payload, qos)),
        speed=60.0,
        stop=stop,
        duration=timedelta(hours=1),
        monotonic=clock,
    )
    assert count == len(expected) == len(published)
    start = scenario.default_start
    for (wall, topic, payload, qos), emission in zip(published, expected, strict=True):
        assert (topic, payload, qos) == (emission.topic, emission.payload, emission.qos)
        assert wall == pytest.approx((emission.at - start).total_seconds() / 60.0, abs=1e-6)


def test_stop_ends_the_run_between_emissions():
    clock = FakeClock()
    stop = WaitingEvent(clock, stop_after=3)
    published = []
    count = run_realtime(
        Simulation(load_scenario("ward", 1)),
        lambda *message: published.append(message),
        speed=1.0,
        stop=stop,
        monotonic=clock,
    )
    assert count == len(published) <= 3


def test_speed_must_be_positive():
    with pytest.raises(ValueError):
        run_realtime(Simulation(load_scenario("ward", 1)), print, 0.0, threading.Event())
