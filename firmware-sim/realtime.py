"""Running a simulation against a broker in (scaled) real time, for the demo.

The platform owns the MQTT client; the demo hands in its `publish(topic, payload, qos)`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from tilsyn.sim.clock import to_seconds
from tilsyn.sim.simulation import Simulation

Publish = Callable[[str, bytes, int], None]


def run_realtime(
    sim: Simulation,
    publish: Publish,
    speed: float,
    stop: threading.Event,
    *,
    start: datetime | None = None,
    duration: timedelta | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> int:
    """Publishes each emission when the wall clock reaches its simulated time divided by
    `speed` (1.0: real time, 60.0: an hour a minute); returns how many were published.

    Stops early, between emissions, when `stop` is set; the wait itself is `stop.wait`, so
    setting it interrupts the sleep at once.
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    emissions = sim.run(start, duration if duration is not None else timedelta(days=3650))
    begun = sim.now  # `run` has fixed where simulated time starts
    assert begun is not None
    sim_start, wall_start, published = to_seconds(begun), monotonic(), 0
    for emission in emissions:
        delay = wall_start + (to_seconds(emission.at) - sim_start) / speed - monotonic()
        if delay > 0 and stop.wait(delay):
            break
        if stop.is_set():
            break
        publish(emission.topic, emission.payload, emission.qos)
        published += 1
    return published
