"""The sensor-driven plan of one kind of waste on one working day.

Each container is looked at on its own weekdays (for glass, say, every Monday across town;
for residual waste, its district's day). On such a day it is emptied if it might overflow
before the next such day, and may come along at a skip penalty if the risk is small but
real; on any other working day it is emptied only if it might overflow before the next
working day. Trucks thus go where many containers need them on the same day, and elsewhere
only for containers that cannot wait.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from tilsyn.routing.collection_day import CollectionDay
from tilsyn.routing.params import Stop
from tilsyn.routing.study_fleet import KindService
from tilsyn.routing.study_forecast import FillTracker
from tilsyn.routing.travel import CachedTravel
from tilsyn.routing.waste import CollectionRequest, ContainerStop
from tilsyn.routing.waste_select import SelectionPolicy, select_stops
from tilsyn.routing.waste_solver import solve_collection
from tilsyn.sim.clock import to_seconds, weekday_of_day

FRIDAY = 4


def hours_until(day: int, weekdays: Sequence[int], shift_end_h: float) -> float:
    """From `day`'s midnight to the end of the shift on the next of `weekdays` after it."""
    later = next(d for d in range(day + 1, day + 8) if int(weekday_of_day(d)) in weekdays)
    return 24.0 * (later - day) + shift_end_h


def sensor_day(
    origin: datetime,
    day: int,
    tracker: FillTracker,
    looks: Mapping[str, Sequence[int]],
    service: KindService,
    policy: SelectionPolicy,
    travel: CachedTravel,
    stop: Stop,
    seed: int,
) -> CollectionDay:
    """`looks`: each container's weekdays; `policy` gives everything but the horizon."""
    weekday, now = int(weekday_of_day(day)), to_seconds(origin)
    fleet = service.fleet
    shift_end_h = max(t.shift_end for t in fleet.trucks) / 3600
    urgent_h = hours_until(day, range(FRIDAY + 1), shift_end_h)
    groups: dict[tuple[bool, float], list[str]] = defaultdict(list)
    for cid, weekdays in looks.items():
        their_day = weekday in weekdays
        horizon = hours_until(day, weekdays, shift_end_h) if their_day else urgent_h
        groups[(their_day, horizon)].append(cid)
    stops: list[ContainerStop] = []
    for (their_day, horizon), ids in sorted(groups.items()):
        rule = replace(policy, next_visit_h=horizon)
        if not their_day:  # only what cannot wait
            rule = replace(rule, consider_above=policy.must_above)
        stops += select_stops(tracker.forecasts(now, ids, service, horizon), rule)
    # The same as `plan_collection_day`, with stops chosen under more than one horizon.
    request = CollectionRequest(
        origin, fleet.trucks, fleet.disposal_sites, tuple(stops), fleet.quiet_hours, fleet.max_tips
    )
    return CollectionDay(request, solve_collection(request, travel, stop, seed))
