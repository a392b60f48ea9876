"""From the distance an ultrasonic sensor measures to how full the container is."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Geometry:
    """Distance from the sensor to the bottom when empty and to the waste surface when full."""

    empty_distance_mm: int
    full_distance_mm: int

    def __post_init__(self) -> None:
        if not 0 <= self.full_distance_mm < self.empty_distance_mm:
            raise ValueError("need 0 <= full distance < empty distance")

    def fill_percent(self, distance_mm: int) -> float:
        """Linear between the two marks; clamped, since echoes beyond them are noise or overfill."""
        span = self.empty_distance_mm - self.full_distance_mm
        fill = (self.empty_distance_mm - distance_mm) / span * 100.0
        return round(min(100.0, max(0.0, fill)), 1)
