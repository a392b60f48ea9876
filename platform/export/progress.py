"""A plain-text progress bar for long exports run from a terminal (no extra dependency)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30
REDRAW_SECONDS = 0.1


class ProgressBar:
    """Redrawn in place with a carriage return, at most ten times a second, so drawing costs
    nothing next to the work; `finish` draws the final state and ends the line."""

    def __init__(
        self,
        total: int,
        out: TextIO,
        unit: str = "rows",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = max(0, total)
        self.done = 0
        self._out = out
        self._unit = unit
        self._clock = clock
        self._started = clock()
        self._drawn_at = -REDRAW_SECONDS

    def advance(self, count: int) -> None:
        self.done += count
        now = self._clock()
        if now - self._drawn_at >= REDRAW_SECONDS:
            self._draw(now)

    def finish(self) -> None:
        self._draw(self._clock())
        self._out.write("\n")
        self._out.flush()

    def line(self, now: float) -> str:
        elapsed = now - self._started
        # A rate over the first instants says nothing; it appears from the second drawing on.
        rate = f"  {self.done / elapsed:,.0f} {self._unit}/s" if elapsed >= REDRAW_SECONDS else ""
        if self.total == 0:
            return f"{self.done:,} {self._unit}{rate}"
        fraction = min(1.0, self.done / self.total)
        filled = round(fraction * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        counts = f"{self.done:,}/{self.total:,} {self._unit}"
        return f"[{bar}] {fraction:4.0%}  {counts}{rate}"

    def _draw(self, now: float) -> None:
        self._drawn_at = now
        self._out.write("\r" + self.line(now))
        self._out.flush()
