"""Search budgets shared by every solver in this package.

A wall-clock limit alone makes results depend on machine load (DOMAIN.md §7), so a budget can
also be a number of improving solutions, which is deterministic for a given seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Stop:
    """When to stop searching: after `seconds`, after `solutions` solutions, or both (first hit).

    `solutions` counts the solutions OR-Tools accepts during local search; with `seconds` left at
    infinity the run is reproducible for a seed regardless of machine load.
    """

    seconds: float = 1.0
    solutions: int | None = None

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise ValueError(f"seconds must be positive, got {self.seconds}")
        if self.solutions is not None and self.solutions < 1:
            raise ValueError(f"solutions must be at least 1, got {self.solutions}")
        if math.isinf(self.seconds) and self.solutions is None:
            raise ValueError("an unbounded search needs a solution limit")

    def within(self, seconds: float) -> Stop:
        """The same stop, but never longer than `seconds`."""
        return Stop(min(self.seconds, seconds), self.solutions)
