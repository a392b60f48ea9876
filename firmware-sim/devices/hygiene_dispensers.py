"""Dispenser firmware: count uses, report them with the refill level every interval.

A status lists the uses since the previous one as offsets from the start of its interval
(device clock). When the refill runs low the dispenser reports at once (an alarm) and
staff replace the bottle some hours later.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tilsyn.codecs import encode

HEADER_BYTES, USE_BYTES = 13, 2
LOW_REFILL_PERCENT = 10
BATTERY_PERCENT_PER_DAY = 0.03

Clock = Callable[[float], float]
Uplink = tuple[float, str, bytes]


@dataclass(slots=True)
class DispenserFirmware:
    dev_eui: str
    interval_s: float
    doses: int
    max_uses: int
    clock: Clock
    period_start: float
    remaining: int
    battery: float
    use_count: int = 0
    uses: list[float] = field(default_factory=list)
    low_reported: bool = False
    refill_at: float | None = None

    def _status(self, at: float, out: list[Uplink]) -> None:
        base = int(self.clock(self.period_start))
        offsets = [max(0, int(self.clock(u)) - base) for u in self.uses]
        for first in range(0, max(len(offsets), 1), self.max_uses):
            chunk = offsets[first : first + self.max_uses]
            counted = self.use_count - len(offsets) + first + len(chunk)
            fields = {
                "message": "dispenser_status",
                "time": base,
                "use_count": counted,
                "refill_percent": round(100 * self.remaining / self.doses),
                "battery_percent": max(0, round(self.battery)),
                "uses": chunk,
            }
            sent_at = at + 2.0 * (first // self.max_uses)  # a long list goes out in parts
            out.append((sent_at, self.dev_eui, encode("tilsyn-hygiene-v1", fields)))
        self.uses = []
        self.period_start = at

    def use(
        self, at: float, rng: random.Random, refill_hours: tuple[float, float], out: list[Uplink]
    ) -> None:
        self._until(at, out)
        self.use_count += 1
        self.remaining = max(0, self.remaining - 1)
        self.uses.append(at)
        low = 100 * self.remaining / self.doses <= LOW_REFILL_PERCENT
        if low and not self.low_reported:
            self.low_reported = True
            self.refill_at = at + rng.uniform(*refill_hours) * 3600
            self._status(at, out)

    def _until(self, at: float, out: list[Uplink]) -> None:
        """Periodic statuses and a bottle replacement due before `at`."""
        while self.period_start + self.interval_s < at:
            due = self.period_start + self.interval_s
            if self.refill_at is not None and self.refill_at <= due:
                self.remaining, self.low_reported, self.refill_at = self.doses, False, None
            self.battery -= BATTERY_PERCENT_PER_DAY * self.interval_s / 86_400
            self._status(due, out)

    def until(self, end: float, out: list[Uplink]) -> None:
        self._until(end, out)
