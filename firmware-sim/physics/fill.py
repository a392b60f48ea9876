"""Container fill as a deterministic function of time, usable without the rest of the simulator.

`cumulative` is the litres a container has received since an arbitrary origin; it is piecewise
linear in time (each local hour gets its share of the day by the kind's hourly profile). Fill
after an emptying is the difference of two cumulative values, capped at the capacity; what
arrives at a full container is overflow (bags beside it), which a study counts but no sensor
sees. Routing studies use `fill_after`, `time_to_level` and `overflow_hours` directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tilsyn.sim.clock import FloatArray, IntArray, LocalCalendar
from tilsyn.sim.physics.demand import DailyDemand
from tilsyn.sim.scenario.specs_waste import ContainerSpec, TouristPeak, WasteKindParams

Index = int | IntArray


class FillModel:
    """Deposits into every container of a scenario; vectorised over containers and times."""

    def __init__(
        self,
        containers: Sequence[ContainerSpec],
        kinds: Mapping[str, WasteKindParams],
        peaks: Sequence[TouristPeak],
        timezone: str,
        seed: int,
    ) -> None:
        self.ids = [c.container_id for c in containers]
        self._position = {cid: n for n, cid in enumerate(self.ids)}
        self.capacity: FloatArray = np.array([c.capacity_litres for c in containers])
        self.demand = DailyDemand(containers, kinds, peaks, seed)
        self.calendar = LocalCalendar(timezone)
        profile = np.array([kinds[name].hourly_profile for name in self.demand.kind_names])
        self._hour_share = profile  # (kinds, 24), rows sum to 1
        self._hour_cum = np.hstack([np.zeros((len(profile), 1)), np.cumsum(profile, axis=1)])
        self._first_day = 0
        self._origin_day: int | None = None
        self._daily = np.zeros((0, len(containers)))
        self._prefix = np.zeros((1, len(containers)))

    def index(self, container_id: str) -> int:
        return self._position[container_id]

    def _cover(self, first: int, last: int) -> None:
        """Extends the day table to cover local days first..last (inclusive)."""
        have_first, have_last = self._first_day, self._first_day + len(self._daily) - 1
        if len(self._daily) and first >= have_first and last <= have_last:
            return
        new_first = min(first, have_first) if len(self._daily) else first
        new_last = max(last, have_last) if len(self._daily) else last
        rows = []
        for day in range(new_first, new_last + 1):
            row = day - have_first
            known = len(self._daily) and 0 <= row < len(self._daily)
            rows.append(self._daily[row] if known else self.demand.on_day(day))
        if self._origin_day is None:
            self._origin_day = new_first
        self._first_day, self._daily = new_first, np.stack(rows)
        prefix = np.vstack([np.zeros((1, self._daily.shape[1])), np.cumsum(self._daily, 0)])
        # Keep the origin where it was, so cumulative values from earlier calls stay valid.
        self._prefix = prefix - prefix[self._origin_day - new_first]

    def cumulative(self, index: Index, at: FloatArray | float) -> FloatArray:
        """Litres received since the model's origin (the first day it was asked about; values
        before it are negative). Only differences are meaningful."""
        idx, times = np.broadcast_arrays(np.atleast_1d(index), np.asarray(at, dtype=np.float64))
        day, hour = self.calendar.local_day_and_hour(times)
        self._cover(int(day.min()), int(day.max()))
        row = day - self._first_day
        kind = self.demand.kind_index[idx]
        whole = np.clip(np.floor(hour).astype(np.int64), 0, 23)
        within = np.clip(hour - whole, 0.0, 1.0)
        share = self._hour_cum[kind, whole] + within * self._hour_share[kind, whole]
        return np.asarray(self._prefix[row, idx] + self._daily[row, idx] * share)

    def deposited(self, index: Index, start: float, end: FloatArray | float) -> FloatArray:
        """Litres that arrive between `start` and `end`."""
        return self.cumulative(index, end) - self.cumulative(index, start)

    def fill_after(
        self, index: Index, start_fill: FloatArray | float, start: float, end: float
    ) -> FloatArray:
        """Litres in the container at `end`, given its fill at `start` and no emptying between."""
        return np.minimum(self.capacity[index], start_fill + self.deposited(index, start, end))

    def time_to_level(
        self, index: int, start_fill: float, start: float, level: float, horizon_days: int = 180
    ) -> float:
        """UTC seconds when the fill reaches `level` litres (inf beyond the horizon)."""
        if start_fill >= level:
            return start
        target = float(self.cumulative(index, start)[0]) + level - start_fill
        first = self.calendar.day_of(start)
        self._cover(first, first + horizon_days)
        column = self._prefix[:, index]
        row = int(np.searchsorted(column, target, side="left")) - 1
        if row >= len(self._daily):
            return float("inf")
        fraction = (target - column[row]) / max(self._daily[row, index], 1e-12)
        kind = self.demand.kind_index[index]
        hour = int(np.clip(np.searchsorted(self._hour_cum[kind], fraction, side="left") - 1, 0, 23))
        share = self._hour_share[kind, hour]
        within = (fraction - self._hour_cum[kind, hour]) / share if share > 0 else 0.0
        return max(start, self.calendar.at_local(self._first_day + row, hour + within))

    def overflow_hours(self, index: int, start_fill: float, start: float, end: float) -> float:
        """Hours in [start, end] during which the container is full, with no emptying between."""
        full_at = self.time_to_level(index, start_fill, start, float(self.capacity[index]))
        return max(0.0, end - max(start, full_at)) / 3600.0
