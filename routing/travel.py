"""Travel distances and times between locations, from any source, cached pair by pair.

Solvers only ever see a `TravelMatrix` (integer metres and seconds). Where the numbers come from
is a `TravelSource`: crow-flies distance times a road-circuity factor, or an OSRM-compatible
table service (`tilsyn.routing.osrm`). `CachedTravel` remembers every pair it has been given, so
re-planning during a night shift asks the source only about the new urgent location.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tilsyn.routing.geo import Location, haversine_m

Coordinates = tuple[float, float]
Leg = tuple[float, float]  # (metres, seconds)


class TravelSource(Protocol):
    def legs(
        self, origins: Sequence[Location], destinations: Sequence[Location]
    ) -> list[list[Leg]]:
        """Metres and seconds from each origin (rows) to each destination (columns)."""
        ...


@dataclass(frozen=True)
class HaversineSource:
    """Great-circle distance × road circuity, driven at a constant speed.

    1.3 is a common circuity for towns with a regular street grid; rural Danish and Norwegian
    roads run higher, so both factors are settings (`tilsyn.routing.settings`).
    """

    circuity: float = 1.3
    speed_kmh: float = 40.0

    def __post_init__(self) -> None:
        if self.circuity < 1.0:
            raise ValueError("road circuity cannot be below 1 (roads are never shorter)")
        if self.speed_kmh <= 0:
            raise ValueError("speed must be positive")

    def legs(
        self, origins: Sequence[Location], destinations: Sequence[Location]
    ) -> list[list[Leg]]:
        metres_per_second = self.speed_kmh / 3.6
        rows = []
        for a in origins:
            row = []
            for b in destinations:
                metres = haversine_m(a.coordinates, b.coordinates) * self.circuity
                row.append((metres, metres / metres_per_second))
            rows.append(row)
        return rows


@dataclass(frozen=True)
class TravelMatrix:
    """Integer metres and seconds between `locations`, indexed like them."""

    locations: tuple[Location, ...]
    metres: tuple[tuple[int, ...], ...]
    seconds: tuple[tuple[int, ...], ...]

    def index(self, location_id: str) -> int:
        for i, location in enumerate(self.locations):
            if location.id == location_id:
                return i
        raise KeyError(f"location {location_id!r} is not in the travel matrix")

    def seconds_between(self, from_id: str, to_id: str) -> int:
        return self.seconds[self.index(from_id)][self.index(to_id)]

    def metres_between(self, from_id: str, to_id: str) -> int:
        return self.metres[self.index(from_id)][self.index(to_id)]


@dataclass
class CachedTravel:
    """Wraps a source; asks it only for pairs it has not seen. Not thread-safe by design: one
    planner owns one cache."""

    source: TravelSource
    max_pairs: int = 1_000_000
    _legs: dict[tuple[Coordinates, Coordinates], Leg] = field(default_factory=dict)
    requests: int = 0

    def matrix(self, locations: Sequence[Location]) -> TravelMatrix:
        unique = _unique_by_coordinates(locations)
        fresh = self._fresh(unique)
        if fresh:
            self._fetch(fresh, unique)
        ordered = [_key(loc) for loc in locations]
        legs = [[self._legs[(a, b)] for b in ordered] for a in ordered]
        metres = tuple(tuple(round(leg[0]) for leg in row) for row in legs)
        seconds = tuple(tuple(round(leg[1]) for leg in row) for row in legs)
        return TravelMatrix(tuple(locations), metres, seconds)

    def _fresh(self, unique: list[Location]) -> list[Location]:
        """Locations never seen, and enough of those seen in different calls that every pair
        here gets its leg."""
        fresh = [loc for loc in unique if (_key(loc), _key(loc)) not in self._legs]
        seen = [loc for loc in unique if loc not in fresh]
        for n, loc in enumerate(seen):
            later = (_key(other) for other in seen[n + 1 :] if other not in fresh)
            if any((_key(loc), key) not in self._legs for key in later):
                fresh.append(loc)
        return fresh

    def _fetch(self, fresh: list[Location], everyone: list[Location]) -> None:
        if len(self._legs) + 2 * len(fresh) * len(everyone) > self.max_pairs:
            self._legs.clear()  # crude, but a cache this full means the fleet moved on
            fresh = everyone
        self.requests += 1
        self._store(fresh, everyone, self.source.legs(fresh, everyone))
        old = [loc for loc in everyone if loc not in fresh]
        if old:
            self.requests += 1
            self._store(old, fresh, self.source.legs(old, fresh))

    def _store(self, rows: list[Location], cols: list[Location], legs: list[list[Leg]]) -> None:
        for a, row in zip(rows, legs, strict=True):
            for b, leg in zip(cols, row, strict=True):
                self._legs[(_key(a), _key(b))] = leg


def _key(location: Location) -> Coordinates:
    """Six decimals of a degree is about 0.1 m: two ids at the same spot share their legs."""
    return (round(location.lat, 6), round(location.lon, 6))


def _unique_by_coordinates(locations: Sequence[Location]) -> list[Location]:
    seen: dict[Coordinates, Location] = {}
    for location in locations:
        seen.setdefault(_key(location), location)
    return list(seen.values())
