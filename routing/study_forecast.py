"""Fill forecasts from what the sensors reported, as a planner without ground truth has them.

Each container's readings are split at its emptyings (the collection company knows when its
trucks emptied what). Today's fill is the median of the last three readings (one spurious echo
cannot make a container look full) moved forward at the fill rate. The rate is the rise per
hour over the stretches between emptyings of the last two weeks; when the last two days ran
faster (a fair, a holiday), the faster rate counts. The forecast's spread is a share of the
rate: the estimate's own error, and deposits that vary by up to 45 % from one day to the next,
which averages out over a longer horizon.

A sensor silent for a day (dead battery, lost radio) no longer says how full its container
is: the forecast then assumes twice the rate with a spread as large as the rate, so that the
container is emptied well before it could overflow rather than forgotten.

Events on the town's calendar (a trade fair, summer concerts) are known by place and dates
but not by how much waste they bring: while one overlaps the forecast's horizon, containers
near it are assumed to fill `EVENT_RATE` times faster.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tilsyn.routing.collection_fleet import KindService
from tilsyn.routing.geo import Location, haversine_m
from tilsyn.routing.waste_select import SILENT_RATE, SILENT_S, ContainerForecast

HISTORY_S = 14 * 86_400.0
RECENT_S = 48 * 3_600.0
SHORTEST_S = 12 * 3_600.0  # a shorter stretch says little about the rate
RATE_ERROR = 0.15  # the estimated rate's own error and the weekday pattern, as a share of it
DAILY_CV = 0.45  # day-to-day variation of deposits (the most variable kind, glass)
FRESH_FILL = 0.02  # what an emptied container holds before its first reading
EVENT_RATE = 3.0  # near a known event, times the usual rate
BRIM = 0.95  # a reading this full may already be capped by the brim: the rise stops there


def spread(horizon_h: float) -> float:
    """A forecast's spread over `horizon_h`, as a share of the rate: the rate's own error,
    and day-to-day variation, which averages out over longer horizons."""
    return math.sqrt(RATE_ERROR**2 + DAILY_CV**2 * 24 / max(24.0, horizon_h))


@dataclass(frozen=True)
class SensedContainer:
    """What the planner knows of a container: where it stands and how its sensor reads."""

    container_id: str
    location: Location
    capacity_l: int
    empty_mm: int
    full_mm: int

    def fill(self, distance_mm: float) -> float:
        share = (self.empty_mm - distance_mm) / (self.empty_mm - self.full_mm)
        return min(1.0, max(0.0, share))


@dataclass(frozen=True)
class KnownEvent:
    """An event on the calendar: UTC seconds it starts and ends, where, and how far it reaches."""

    name: str
    start: float
    end: float
    centre: Location
    radius_m: float

    def touches(self, location: Location, start: float, end: float) -> bool:
        if self.end <= start or self.start >= end:
            return False
        return haversine_m(self.centre.coordinates, location.coordinates) <= self.radius_m


@dataclass
class _Track:
    readings: list[tuple[float, float]] = field(default_factory=list)  # since the emptying
    emptied_at: float | None = None
    stretches: list[tuple[float, float, float]] = field(default_factory=list)  # end, rise, hours
    filling: list[tuple[float, float, float]] = field(default_factory=list)  # the same, to the brim
    pending: list[float] = field(default_factory=list)  # emptyings not yet passed by readings


def _to_brim(readings: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The readings until three in a row have a median at the brim (a full container rises no
    further; one spurious echo does not make it full)."""
    fills = [f for _, f in readings]
    full = next(
        (n for n in range(2, len(fills)) if statistics.median(fills[n - 2 : n + 1]) >= BRIM),
        len(fills),
    )
    return list(readings[: full + 1])


def _rise(readings: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """(rise in fill, hours) between the medians of the first and last three readings."""
    if len(readings) < 6:
        return None
    first, last = readings[:3], readings[-3:]
    hours = (statistics.median(t for t, _ in last) - statistics.median(t for t, _ in first)) / 3600
    if hours * 3600 < SHORTEST_S:
        return None
    rise = statistics.median(f for _, f in last) - statistics.median(f for _, f in first)
    return max(0.0, rise), hours


class FillTracker:
    """Readings per container, emptyings as the trucks report them, forecasts on demand."""

    def __init__(
        self, containers: Iterable[SensedContainer], events: Sequence[KnownEvent] = ()
    ) -> None:
        self.containers = {c.container_id: c for c in containers}
        self.events = tuple(events)
        self.heard: list[tuple[float, str]] = []  # (UTC s, container) of every emptying
        self._tracks = {cid: _Track() for cid in self.containers}

    def read(self, container_id: str, at: float, distance_mm: float) -> None:
        """One ordinary report (readings must arrive in time order)."""
        track = self._tracks[container_id]
        while track.pending and track.pending[0] <= at:
            self._close(track, track.pending.pop(0))
        track.readings.append((at, self.containers[container_id].fill(distance_mm)))

    def emptied(self, container_id: str, at: float) -> None:
        """A truck emptied the container at `at` (possibly later than the last reading)."""
        track = self._tracks[container_id]
        track.pending.append(at)
        track.pending.sort()
        self.heard.append((at, container_id))

    def _close(self, track: _Track, at: float) -> None:
        rise = _rise(track.readings)
        if rise is not None:
            track.stretches.append((at, *rise))
        filling = _rise(_to_brim(track.readings))
        if filling is not None:
            track.filling.append((at, *filling))
        track.readings, track.emptied_at = [], at

    def rate(self, container_id: str, now: float) -> float | None:
        """Fill per hour from the last two weeks, or faster if the last two days were."""
        track = self._tracks[container_id]
        stretches = [(rise, hours) for end, rise, hours in track.stretches if end > now - HISTORY_S]
        current = _rise(track.readings)
        if current is not None:
            stretches.append(current)
        hours = sum(h for _, h in stretches)
        if hours == 0:
            return None
        rate = sum(r for r, _ in stretches) / hours
        recent = _rise([r for r in track.readings if r[0] > now - RECENT_S])
        return max(rate, recent[0] / recent[1]) if recent else rate

    def filling_rate(self, container_id: str, now: float) -> float | None:
        """Fill per hour over the last two weeks, each stretch counted until the container
        reached the brim (a container left full shows a rise of 100 % over however long it
        stood full, which understates how fast it fills)."""
        track = self._tracks[container_id]
        stretches = [(rise, hours) for end, rise, hours in track.filling if end > now - HISTORY_S]
        current = _rise(_to_brim(track.readings))
        if current is not None:
            stretches.append(current)
        hours = sum(h for _, h in stretches)
        return sum(r for r, _ in stretches) / hours if hours else None

    def forecasts(
        self, now: float, ids: Iterable[str], service: KindService, horizon_h: float
    ) -> list[ContainerForecast]:
        """Forecasts at `now` for the given containers, their spread sized for `horizon_h`
        (day-to-day variation averages out over longer horizons); a container without a rate
        of its own yet gets the median rate of the others."""
        wanted = list(ids)
        rates = {cid: self.rate(cid, now) for cid in wanted}
        known = [r for r in rates.values() if r is not None]
        typical = statistics.median(known) if known else 0.0
        relative_sd = spread(horizon_h)
        found = []
        for cid in wanted:
            container, track = self.containers[cid], self._tracks[cid]
            own = rates[cid]
            rate = own if own is not None else typical
            fill, since = self._latest(track, now)
            silent = self.silent(cid, now)
            if silent:
                rate *= SILENT_RATE
            horizon_end = now + horizon_h * 3600
            if any(e.touches(container.location, now, horizon_end) for e in self.events):
                rate *= EVENT_RATE
            found.append(
                ContainerForecast(
                    container_id=cid,
                    location=container.location,
                    capacity_l=container.capacity_l,
                    fill=min(1.0, fill + rate * (now - since) / 3600),
                    rate=rate,
                    rate_sd=rate if silent else relative_sd * rate,
                    density_kg_per_l=service.density_kg_per_l,
                    service=service.service_s,
                    quiet=service.quiet,
                )
            )
        return found

    def silent(self, container_id: str, now: float) -> bool:
        """No reading for a day, counting from the last reading or the last emptying."""
        track = self._tracks[container_id]
        heard = [t for t, _ in track.readings[-1:]] + [t for t in track.pending if t <= now]
        last = max([*heard, track.emptied_at or 0.0]) or None
        return last is not None and now - last > SILENT_S

    def _latest(self, track: _Track, now: float) -> tuple[float, float]:
        """The last known fill and when it held; an emptying since the last reading counts."""
        emptied = [at for at in track.pending if at <= now]
        if emptied:
            return FRESH_FILL, emptied[-1]
        if track.readings:
            last = track.readings[-3:]
            # the median of three stands for the middle one: move forward from its time
            return statistics.median(f for _, f in last), statistics.median(t for t, _ in last)
        return FRESH_FILL, track.emptied_at if track.emptied_at is not None else now
