"""Emissions waiting for their delivery time, rendered to bytes only when they leave.

Delivery can lag the measurement (network latency, a held-back uplink, a hub that was
offline), so emissions from different devices and windows meet here and leave in time order.
Rendering late keeps the JSON work off uplinks that a run never reaches.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator

from tilsyn.sim.clock import to_datetime
from tilsyn.sim.emission import Emission

# delivery time -> (topic, payload, qos), or None when the integration publishes nothing
Render = Callable[[float], tuple[str, bytes, int] | None]


class Outbox:
    """A time-ordered queue; ties leave in the order they were pushed (deterministic)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Render]] = []
        self._pushed = 0

    def push(self, at: float, render: Render) -> None:
        heapq.heappush(self._heap, (at, self._pushed, render))
        self._pushed += 1

    def pop_before(self, end: float) -> Iterator[Emission]:
        """Every emission due before `end`, in delivery order."""
        while self._heap and self._heap[0][0] < end:
            at, _, render = heapq.heappop(self._heap)
            rendered = render(at)
            if rendered is not None:
                yield Emission(to_datetime(at), *rendered)

    def __len__(self) -> int:
        return len(self._heap)
