"""A hub's mobile connection: outages during which it buffers what it would have sent."""

from __future__ import annotations

import math

from tilsyn.sim.clock import DAY_S
from tilsyn.sim.scenario.specs_care import HubSpec
from tilsyn.sim.seeding import substream

OUTAGE_LOG_SD = 1.0
RECONNECT_S = (5.0, 60.0)


class HubLink:
    """Outages of one hub, drawn per UTC day; `send_time` says when data taken at `at` leaves."""

    def __init__(self, hub: HubSpec, seed: int) -> None:
        self.hub, self.seed = hub, seed
        self._days: dict[int, list[tuple[float, float]]] = {}

    def _outages(self, day: int) -> list[tuple[float, float]]:
        if day not in self._days:
            rng = substream(self.seed, "hub-outages", self.hub.hub_id, day)
            found = []
            for _ in range(int(rng.poisson(self.hub.outages_per_day))):
                start = (day + float(rng.random())) * DAY_S
                minutes = self.hub.outage_median_minutes * math.exp(rng.normal(0, OUTAGE_LOG_SD))
                reconnect = float(rng.uniform(*RECONNECT_S))
                found.append((start, start + minutes * 60 + reconnect))
            self._days[day] = found
        return self._days[day]

    def send_time(self, at: float) -> float:
        """`at`, or the end of the outage (and of any outage it runs into) covering it."""
        day = int(at // DAY_S)
        moment = at
        for outage_start, outage_end in sorted(self._outages(day - 1) + self._outages(day)):
            if outage_start <= moment < outage_end:
                moment = outage_end
        return moment
