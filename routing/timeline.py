"""ETAs along a solved route: leave as early as allowed, start each stop as early as it may.

Starting every stop at the earliest allowed moment is feasible whenever any timing of the same
sequence is (windows only forbid being early or late, never waiting), so this forward pass turns
the solver's sequence into the ETAs a driver or nurse sees, independent of which feasible cumul
values the solver happened to keep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Window = tuple[int, int]


@dataclass(frozen=True)
class Stop:
    """What the pass needs to know about one stop on the route."""

    node: int
    windows: tuple[Window, ...]
    service: int


@dataclass(frozen=True)
class Timing:
    node: int
    arrival: int
    start: int
    departure: int


def earliest_start(arrival: int, windows: Sequence[Window]) -> int | None:
    """The first moment at or after `arrival` inside one of the (sorted) windows, if any."""
    for opens, closes in windows:
        if arrival <= closes:
            return max(arrival, opens)
    return None


def forward_pass(
    depart_node: int, depart_time: int, stops: Sequence[Stop], seconds: Sequence[Sequence[int]]
) -> list[Timing]:
    """Timings for each stop in order; raises if the sequence breaks a window (a solver bug)."""
    timings = []
    here, clock = depart_node, depart_time
    for stop in stops:
        arrival = clock + seconds[here][stop.node]
        start = earliest_start(arrival, stop.windows)
        if start is None:
            raise RuntimeError(f"node {stop.node}: solver returned a route that arrives too late")
        clock = start + stop.service
        timings.append(Timing(stop.node, arrival, start, clock))
        here = stop.node
    return timings


def latest_departure(
    depart_node: int, earliest: int, stops: Sequence[Stop], seconds: Sequence[Sequence[int]]
) -> int:
    """The latest moment to leave that still finishes the route as early as leaving at
    `earliest` does: the crew's working day (and the shift-length rule) starts then."""
    timings = forward_pass(depart_node, earliest, stops, seconds)
    if not timings:
        return earliest
    finish = timings[-1].departure
    waiting = [t.start - t.arrival for t in timings]
    for delay in (sum(waiting), waiting[0]):
        try:
            later = forward_pass(depart_node, earliest + delay, stops, seconds)
        except RuntimeError:
            continue
        if later[-1].departure == finish:
            return earliest + delay
    return earliest
