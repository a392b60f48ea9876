"""The waste-collection problem: which trucks empty which containers, when, with tip runs.

Times are integer seconds from the request's `origin` (usually midnight of the collection day).
Volumes are litres and weights kilograms; a truck is full when either runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tilsyn.routing.bounds import (
    MAX_TIPS,
    STRICT_FIELDS,
    Window,
    require_amount,
    require_one_place_per_id,
    require_time,
    require_unique,
    windows_in_order,
)
from tilsyn.routing.geo import Location


@dataclass(frozen=True)
class ContainerStop:
    """A container to empty today. `windows` are the allowed service starts (empty: any time in
    a shift). A `quiet` container stands near homes: it is never emptied during quiet hours.
    A mandatory stop is never dropped; an optional one may be, at `skip_penalty` (metres of
    driving it is worth)."""

    __pydantic_config__ = STRICT_FIELDS

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
        require_amount(f"container {self.id} volume", self.volume_l)
        require_amount(f"container {self.id} weight", self.weight_kg)
        require_amount(f"container {self.id} skip penalty", self.skip_penalty)
        require_time(f"container {self.id} service", self.service)
        # The model needs windows sorted and apart; given in any order, they mean the same.
        windows = windows_in_order(f"container {self.id} window", self.windows)
        object.__setattr__(self, "windows", windows)
        if not self.mandatory and self.skip_penalty <= 0:
            raise ValueError(f"container {self.id}: an optional stop needs a positive penalty")


@dataclass(frozen=True)
class Truck:
    __pydantic_config__ = STRICT_FIELDS

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
        require_amount(f"truck {self.id} capacity", self.capacity_l)
        require_amount(f"truck {self.id} capacity", self.capacity_kg)
        # The solver's clock starts at the origin: a shift cannot begin before it.
        require_time(f"truck {self.id} shift", self.shift_start, lowest=0)
        require_time(f"truck {self.id} shift", self.shift_end, lowest=0)
        if self.max_shift is not None:
            require_time(f"truck {self.id} shift length", self.max_shift)
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

    __pydantic_config__ = STRICT_FIELDS

    id: str
    location: Location
    service: int

    def __post_init__(self) -> None:
        require_time(f"disposal site {self.id} service", self.service, lowest=0)


@dataclass(frozen=True)
class CollectionRequest:
    """One day's collection. `max_tips` bounds the tip runs per truck, the last one (on the way
    home) included; it sizes the model."""

    __pydantic_config__ = STRICT_FIELDS

    origin: datetime
    trucks: tuple[Truck, ...]
    disposal_sites: tuple[DisposalSite, ...]
    stops: tuple[ContainerStop, ...]
    quiet_hours: tuple[Window, ...] = ()
    max_tips: int = 3

    def __post_init__(self) -> None:
        if not self.trucks or not self.disposal_sites:
            raise ValueError("a collection day needs at least one truck and one disposal site")
        require_unique("container", [s.id for s in self.stops])
        require_unique("truck", [t.id for t in self.trucks])
        require_unique("disposal site", [s.id for s in self.disposal_sites])
        if not 1 <= self.max_tips <= MAX_TIPS:
            raise ValueError(f"max_tips {self.max_tips}: a truck tips 1..{MAX_TIPS} times a day")
        quiet = windows_in_order("quiet hours", self.quiet_hours)
        object.__setattr__(self, "quiet_hours", quiet)
        require_one_place_per_id(
            [
                *(t.depot for t in self.trucks),
                *(s.location for s in self.disposal_sites),
                *(s.location for s in self.stops),
            ]
        )

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
