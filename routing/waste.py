"""The waste-collection problem: which trucks empty which containers, when, with tip runs.

Times are integer seconds from the request's `origin` (usually midnight of the collection day).
Volumes are litres and weights kilograms; a truck is full when either runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tilsyn.routing.geo import Location

Window = tuple[int, int]


@dataclass(frozen=True)
class ContainerStop:
    """A container to empty today. `windows` are the allowed service starts (empty: any time in
    a shift). A `quiet` container stands near homes: it is never emptied during quiet hours.
    A mandatory stop is never dropped; an optional one may be, at `skip_penalty` (metres of
    driving it is worth)."""

    id: str
    location: Location
    volume_l: int
    weight_kg: int
    service: int
    windows: tuple[Window, ...] = ()
    quiet: bool = False
    mandatory: bool = False
    skip_penalty: int = 0

    def __post_init__(self) -> None:
        if self.volume_l < 0 or self.weight_kg < 0 or self.service < 0:
            raise ValueError(f"container {self.id}: negative volume, weight or service time")
        if any(opens > closes for opens, closes in self.windows):
            raise ValueError(f"container {self.id}: a window opens after it closes")
        if not self.mandatory and self.skip_penalty <= 0:
            raise ValueError(f"container {self.id}: an optional stop needs a positive penalty")


@dataclass(frozen=True)
class Truck:
    id: str
    depot: Location
    capacity_l: int
    capacity_kg: int
    shift_start: int
    shift_end: int
    max_shift: int | None = None

    def __post_init__(self) -> None:
        if self.capacity_l <= 0 or self.capacity_kg <= 0:
            raise ValueError(f"truck {self.id}: capacity must be positive")
        if self.shift_start >= self.shift_end:
            raise ValueError(f"truck {self.id}: shift ends before it starts")
        if self.max_shift is not None and self.max_shift <= 0:
            raise ValueError(f"truck {self.id}: shift length must be positive")

    @property
    def longest_day(self) -> int:
        """Seconds from leaving the depot to coming back, at most."""
        span = self.shift_end - self.shift_start
        return span if self.max_shift is None else min(span, self.max_shift)


@dataclass(frozen=True)
class DisposalSite:
    """Where a truck tips its load (recycling centre, glass plant), taking `service` seconds.
    Assumed open whenever trucks run; opening hours are not modelled."""

    id: str
    location: Location
    service: int


@dataclass(frozen=True)
class CollectionRequest:
    """One day's collection. `max_tips` bounds the tip runs per truck, the last one (on the way
    home) included; it sizes the model."""

    origin: datetime
    trucks: tuple[Truck, ...]
    disposal_sites: tuple[DisposalSite, ...]
    stops: tuple[ContainerStop, ...]
    quiet_hours: tuple[Window, ...] = ()
    max_tips: int = 3

    def __post_init__(self) -> None:
        if not self.trucks or not self.disposal_sites:
            raise ValueError("a collection day needs at least one truck and one disposal site")
        ids = [s.id for s in self.stops]
        if len(set(ids)) != len(ids):
            raise ValueError("container ids must be unique")
        if self.max_tips < 1:
            raise ValueError("a truck must be able to tip at least once")

    def allowed_windows(self, stop: ContainerStop, day: Window) -> tuple[Window, ...]:
        """Service-start windows for `stop` within `day`, with quiet hours cut out so that no
        emptying of a quiet container overlaps them."""
        windows = stop.windows or (day,)
        if not stop.quiet:
            return windows
        for quiet_start, quiet_end in self.quiet_hours:
            windows = _cut(windows, quiet_start - stop.service, quiet_end)
        return windows


def _cut(windows: tuple[Window, ...], start: int, end: int) -> tuple[Window, ...]:
    """Remove the open interval (start, end) from every window: service may start at `start`
    (then ends exactly when quiet hours begin) or at `end`."""
    kept: list[Window] = []
    for opens, closes in windows:
        if closes <= start or opens >= end:
            kept.append((opens, closes))
            continue
        if opens <= start:
            kept.append((opens, start))
        if closes >= end:
            kept.append((end, closes))
    return tuple(kept)
