"""Which containers to empty today, from fill forecasts.

For each container the forecast gives today's fill and a fill rate with its uncertainty. The
rule: empty it today if it is likely to overflow before the next possible visit; consider it
if the risk is real but small, at a skip penalty proportional to that risk; leave it otherwise.
A 30-day study calls `plan_collection_day` once per day with that day's forecasts.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tilsyn.routing.geo import Location
from tilsyn.routing.waste import ContainerStop

# A sensor silent for a day (dead battery, lost radio) no longer says how full its container
# is: a forecast assumes it fills `SILENT_RATE` times as fast as it did, with a spread as large
# as the rate, so that it is emptied well before it could overflow rather than forgotten.
SILENT_S = 24 * 3_600.0  # sensors report every 2-4 hours; a day without one is a fault
SILENT_RATE = 2.0


@dataclass(frozen=True)
class ContainerForecast:
    """`fill` is a fraction (FIWARE `fillingLevel`, 0..1) at the day's origin; `rate` and
    `rate_sd` are fractions per hour (mean and standard deviation of the forecast)."""

    container_id: str
    location: Location
    capacity_l: int
    fill: float
    rate: float
    rate_sd: float = 0.0
    density_kg_per_l: float = 0.3  # loose glass in a bell container
    service: int = 300
    quiet: bool = False

    def __post_init__(self) -> None:
        if self.capacity_l <= 0:
            raise ValueError(f"{self.container_id}: capacity must be positive")
        if self.rate < 0 or self.rate_sd < 0:
            raise ValueError(f"{self.container_id}: fill rate and its spread cannot be negative")

    def expected_fill(self, hours: float) -> float:
        return min(1.0, max(0.0, self.fill) + self.rate * hours)

    def overflow_risk(self, hours: float) -> float:
        """P(fill exceeds 1 within `hours`) with the rate normally distributed."""
        headroom = 1.0 - self.fill
        if headroom <= 0:
            return 1.0
        if self.rate_sd == 0 or hours == 0:
            return 1.0 if self.rate * hours >= headroom else 0.0
        z = (headroom - self.rate * hours) / (self.rate_sd * hours)
        return 0.5 * math.erfc(z / math.sqrt(2))


@dataclass(frozen=True)
class SelectionPolicy:
    """`next_visit_h`: hours from the origin to the next day a truck could come (24 for daily
    service, 72 over a weekend). `visit_h`: when today's truck typically gets there, for the
    expected load. `overflow_km`: what an overflow costs, in km of driving (complaints, an
    extra trip); an optional container's skip penalty is its risk times this."""

    next_visit_h: float = 24.0
    visit_h: float = 10.0
    must_above: float = 0.5
    consider_above: float = 0.05
    overflow_km: float = 25.0

    def __post_init__(self) -> None:
        if not 0.0 < self.consider_above <= self.must_above <= 1.0:
            raise ValueError("need 0 < consider_above <= must_above <= 1")
        if self.next_visit_h <= 0 or self.visit_h < 0 or self.overflow_km <= 0:
            raise ValueError("hours and overflow cost must be positive")


def days_to_next_collection(weekday: int, weekdays: Collection[int]) -> int:
    """Days from a day with `weekday` (Monday 0) to the next of `weekdays` after it (Friday to
    Monday: 3, when trucks work Monday to Friday)."""
    if not set(weekdays) & set(range(7)):
        raise ValueError("trucks must work on at least one weekday (Monday 0 to Sunday 6)")
    return next(n for n in range(1, 8) if (weekday + n) % 7 in weekdays)


def next_visit_hours(weekday: int, weekdays: Collection[int], shift_end_h: float) -> float:
    """Hours from the midnight of a day with `weekday` to the end of the shift on the next
    collection day: how long a container left that day must hold, counting 24-hour days (the
    study's calendar; the platform counts on the real clock, `planning.collection`)."""
    return 24.0 * days_to_next_collection(weekday, weekdays) + shift_end_h


def select_stops(
    forecasts: Sequence[ContainerForecast], policy: SelectionPolicy
) -> tuple[ContainerStop, ...]:
    """Today's candidate stops: mandatory and optional ones; the rest are not worth a look."""
    stops = []
    for forecast in forecasts:
        risk = forecast.overflow_risk(policy.next_visit_h)
        if risk < policy.consider_above:
            continue
        volume = round(forecast.capacity_l * forecast.expected_fill(policy.visit_h))
        stops.append(
            ContainerStop(
                id=forecast.container_id,
                location=forecast.location,
                volume_l=volume,
                weight_kg=round(volume * forecast.density_kg_per_l),
                service=forecast.service,
                quiet=forecast.quiet,
                mandatory=risk >= policy.must_above,
                skip_penalty=max(1, round(risk * policy.overflow_km * 1000)),
            )
        )
    return tuple(stops)
