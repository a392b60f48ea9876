"""Ground truth of container fill: emptyings as they happened, and fill and overflow from them.

Tests and studies read this; the platform never sees it.
"""

from __future__ import annotations

import bisect
import itertools

import numpy as np

from tilsyn.sim.clock import FloatArray
from tilsyn.sim.physics.fill import FillModel


class EmptyingLedger:
    """Every emptying (planned or ordered) with the fill reference it leaves behind.

    Fill at time t is `cumulative(t) - reference`, where the reference is that of the last
    emptying at or before t (or the initial one).
    """

    def __init__(self, fill: FillModel, initial_reference: FloatArray) -> None:
        self.fill = fill
        self.initial_reference = initial_reference.copy()
        self.entries: list[tuple[float, int, float]] = []  # (time, container index, reference)

    def record(self, at: float, index: int, reference: float) -> None:
        """An emptying at `at` that leaves the container at `reference` (see class doc)."""
        bisect.insort(self.entries, (at, index, reference))

    def reference_at(self, at: float) -> FloatArray:
        reference = self.initial_reference.copy()
        for when, index, value in self.entries:
            if when > at:
                break
            reference[index] = value
        return reference

    def fill_litres(self, at: float) -> FloatArray:
        """True fill of every container at `at` (litres, at most the capacity)."""
        everyone = np.arange(len(self.initial_reference))
        raw = self.fill.cumulative(everyone, at) - self.reference_at(at)
        return np.clip(raw, 0.0, self.fill.capacity)

    def overflow_litres(self, at: float) -> FloatArray:
        """Waste that found its container full since the last emptying (beside it)."""
        everyone = np.arange(len(self.initial_reference))
        raw = self.fill.cumulative(everyone, at) - self.reference_at(at)
        return np.maximum(raw - self.fill.capacity, 0.0)

    def overflow_hours(self, index: int, start: float, end: float) -> float:
        """Hours in [start, end) during which the container was full."""
        cuts = [when for when, i, _ in self.entries if i == index and start < when < end]
        hours, bounds = 0.0, [start, *cuts, end]
        for a, b in itertools.pairwise(bounds):
            fill_at_a = float(self.fill_litres(a)[index])
            hours += self.fill.overflow_hours(index, fill_at_a, a, b)
        return hours
