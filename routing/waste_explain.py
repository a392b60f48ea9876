"""Why a container cannot be emptied today, or why the planner chose not to."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from tilsyn.routing.bounds import Window
from tilsyn.routing.timeline import earliest_start
from tilsyn.routing.travel import TravelMatrix
from tilsyn.routing.waste import CollectionRequest, ContainerStop, Truck


def why_impossible(
    stop: ContainerStop, request: CollectionRequest, day: Window, matrix: TravelMatrix
) -> str | None:
    """A reason no truck could empty `stop` even with nothing else to do, or None."""
    biggest_l = max(t.capacity_l for t in request.trucks)
    biggest_kg = max(t.capacity_kg for t in request.trucks)
    if stop.volume_l > biggest_l:
        return f"holds {stop.volume_l} L, more than the largest truck takes ({biggest_l} L)"
    if stop.weight_kg > biggest_kg:
        return f"weighs {stop.weight_kg} kg, more than the largest truck takes ({biggest_kg} kg)"
    windows = request.allowed_windows(stop, day)
    if not windows:
        return "quiet hours cover every moment it may be emptied"
    if not any(_fits_a_shift(stop, windows, truck, request, matrix) for truck in request.trucks):
        return "no truck can reach it in its window, tip, and be back within its shift"
    return None


def _fits_a_shift(
    stop: ContainerStop,
    windows: tuple[Window, ...],
    truck: Truck,
    request: CollectionRequest,
    matrix: TravelMatrix,
) -> bool:
    depot, here = matrix.index(truck.depot.id), matrix.index(stop.location.id)
    start = earliest_start(truck.shift_start + matrix.seconds[depot][here], windows)
    if start is None:
        return False
    leave_depot = start - matrix.seconds[depot][here]  # leave as late as possible
    done = start + stop.service
    home = min(
        done + matrix.seconds[here][tip] + site.service + matrix.seconds[tip][depot]
        for site in request.disposal_sites
        for tip in [matrix.index(site.location.id)]
    )
    return home <= truck.shift_end and home - leave_depot <= truck.longest_day


def why_skipped(
    stop: ContainerStop, routes: Sequence[Sequence[int]], node: int, metres: Sequence[Sequence[int]]
) -> str:
    """For an optional container the solver left out: not worth the detour, or no room."""
    detour = _cheapest_detour(routes, node, metres)
    worth = stop.skip_penalty / 1000
    if detour is not None and detour / 1000 > worth:
        return (
            f"not worth it today: the cheapest detour is {detour / 1000:.1f} km, its overflow "
            f"risk is worth {worth:.1f} km"
        )
    return "no room: no truck had the time or load left for it within its window"


def _cheapest_detour(
    routes: Sequence[Sequence[int]], node: int, metres: Sequence[Sequence[int]]
) -> int | None:
    detours = [
        metres[a][node] + metres[node][b] - metres[a][b]
        for route in routes
        for a, b in itertools.pairwise(route)
    ]
    return min(detours, default=None)
