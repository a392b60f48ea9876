"""Places on the map and the crow-flies distance between them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tilsyn.routing.bounds import STRICT_FIELDS

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


@dataclass(frozen=True)
class Location:
    """A point a vehicle can drive to. `id` is the caller's key (address, unit, container)."""

    __pydantic_config__ = STRICT_FIELDS

    id: str
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a location needs an id")
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 180.0:
            raise ValueError(f"{self.id}: coordinates out of range ({self.lat}, {self.lon})")

    @property
    def coordinates(self) -> tuple[float, float]:
        return (self.lat, self.lon)


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
