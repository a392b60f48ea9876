"""When measurements are due: local clock times of a plan, on its weekdays, between two instants.

The agent keeps a cursor (the instant up to which it has measured) and asks for the times in
(cursor, now]: a hub that was switched off for a day does not replay the day's prompts, it resumes
from the cursor (see `MAX_CATCH_UP_S`), and nothing falls between two ticks.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

MAX_CATCH_UP_S = 6 * 3600.0  # prompts older than this after downtime are past being useful


def due(
    schedule: Mapping[str, Sequence[str]],
    zone: ZoneInfo,
    after: float,
    upto: float,
    weekdays: Mapping[str, Collection[int]] | None = None,
) -> list[tuple[float, str]]:
    """(instant, kind) of every scheduled time in (after, upto], in time order. A kind in
    `weekdays` is due only on those ISO weekdays (1 = Monday) of the local date; any other
    kind every day."""
    only_on = weekdays or {}
    found = []
    day = datetime.fromtimestamp(after, zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(upto, zone).date()
    while day <= last:
        for kind, times in schedule.items():
            if kind in only_on and day.isoweekday() not in only_on[kind]:
                continue
            for clock in times:
                hour, minute = int(clock[:2]), int(clock[3:5])
                at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).timestamp()
                if after < at <= upto:
                    found.append((at, kind))
        day += timedelta(days=1)
    return sorted(found)


class Clock:
    """The hub's clock: wall time, or simulated time running `speed` times faster from `start`
    (the simulator's scenarios start on a fixed date; a speed-up makes days pass in seconds)."""

    def __init__(self, start: float | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = time.time() if start is None else start
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> float:
        return self.start + (time.monotonic() - self._origin) * self.speed
