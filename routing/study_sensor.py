"""The sensor-driven plan of one kind of waste on one day.

Each container is looked at on its own weekdays (for glass, say, every Monday across town;
for residual waste, its district's day). On such a day it is emptied if it might overflow
before the next such day, and may come along at a skip penalty if the risk is small but
real. On any other working day a truck goes out for a container only if it will likely
overflow before the next working day (`urgent_above`); once a truck is out anyway, it also
takes every container with a real risk of that (`along_above`), since an extra stop on the
way costs little and a truck sent out for it alone costs a whole trip. On Saturdays, if the
town runs emergency collections, a truck goes out only for what would likely overflow
before Monday.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from tilsyn.routing.collection_day import CollectionDay
from tilsyn.routing.collection_fleet import KindService
from tilsyn.routing.params import Stop
from tilsyn.routing.study_forecast import FillTracker
from tilsyn.routing.travel import CachedTravel
from tilsyn.routing.waste import CollectionRequest, ContainerStop
from tilsyn.routing.waste_select import SelectionPolicy, next_visit_hours, select_stops
from tilsyn.routing.waste_solver import solve_collection
from tilsyn.sim.clock import to_seconds, weekday_of_day

FRIDAY, SATURDAY = 4, 5
WORKING_DAYS = tuple(range(FRIDAY + 1))


@dataclass(frozen=True)
class SensorRules:
    """`looks`: each container's weekdays; `policy`: the thresholds on those days (its
    horizon is set per day); `urgent_above`: the risk that sends a truck out on a day it
    has nothing else to do; `along_above`: the risk at which a truck out anyway takes a
    container along."""

    looks: Mapping[str, Sequence[int]]
    policy: SelectionPolicy
    urgent_above: float
    along_above: float

    def __post_init__(self) -> None:
        if not 0.0 < self.along_above <= self.urgent_above <= 1.0:
            raise ValueError("need 0 < along_above <= urgent_above <= 1")


def sensor_day(
    origin: datetime,
    day: int,
    tracker: FillTracker,
    rules: SensorRules,
    service: KindService,
    travel: CachedTravel,
    stop: Stop,
    seed: int,
) -> CollectionDay:
    weekday, now = int(weekday_of_day(day)), to_seconds(origin)
    shift_end_h = max(t.shift_end for t in service.fleet.trucks) / 3600
    urgent_h = next_visit_hours(weekday, WORKING_DAYS, shift_end_h)
    on_their_day: dict[float, list[str]] = defaultdict(list)
    others = []
    for cid, weekdays in rules.looks.items():
        if weekday in weekdays and weekday != SATURDAY:
            on_their_day[next_visit_hours(weekday, weekdays, shift_end_h)].append(cid)
        else:
            others.append(cid)
    stops: list[ContainerStop] = []
    for horizon, ids in sorted(on_their_day.items()):
        rule = replace(rules.policy, next_visit_h=horizon)
        stops += select_stops(tracker.forecasts(now, ids, service, horizon), rule)
    # What cannot wait for the next working day: only what will likely overflow, unless a
    # truck goes out anyway on a working day; then also what might.
    later = tracker.forecasts(now, others, service, urgent_h)
    likely = select_stops(later, _threshold(rules.policy, urgent_h, rules.urgent_above))
    if weekday <= FRIDAY and (stops or likely):
        stops += select_stops(later, _threshold(rules.policy, urgent_h, rules.along_above))
    else:
        stops += likely
    fleet = service.fleet
    request = CollectionRequest(
        origin, fleet.trucks, fleet.disposal_sites, tuple(stops), fleet.quiet_hours, fleet.max_tips
    )
    return CollectionDay(request, solve_collection(request, travel, stop, seed))


def _threshold(policy: SelectionPolicy, horizon_h: float, risk: float) -> SelectionPolicy:
    """Everything at `risk` or more over the horizon is mandatory; nothing below is looked at."""
    return replace(policy, next_visit_h=horizon_h, must_above=risk, consider_above=risk)
