"""What the night and collection checkers both need: clock text and route-level timing rules."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta

from tilsyn.routing.plans import Plan, Route, Visit
from tilsyn.routing.travel import TravelMatrix


def at(origin: datetime, seconds: int) -> str:
    """Counted in UTC: seconds are elapsed time, also across a daylight-saving change."""
    moment = origin if origin.tzinfo is None else origin.astimezone(UTC)
    shown = moment + timedelta(seconds=seconds)
    return (shown if origin.tzinfo is None else shown.astimezone(origin.tzinfo)).strftime(
        "%H:%M:%S"
    )


def reached_in_time(
    route: Route,
    visit: Visit,
    previous_location: str,
    ready: int,
    matrix: TravelMatrix,
    may_wait_until: Collection[int],
) -> list[str]:
    """The visit's own times agree with the drive from the previous stop (left at `ready`):
    it arrives when the drive gets it there, and starts at once unless it waits for one of
    `may_wait_until` (a window opening, the end of quiet hours)."""
    drive = ready + matrix.seconds_between(previous_location, visit.location_id)
    problems = []
    if visit.arrival != drive:
        problems.append(
            f"{route.vehicle_id}: {visit.id} arrival {visit.arrival}, but the drive gets there "
            f"at {drive}"
        )
    if visit.start < visit.arrival:
        problems.append(f"{route.vehicle_id}: {visit.id} starts before arriving")
    elif visit.start > visit.arrival and visit.start not in may_wait_until:
        problems.append(
            f"{route.vehicle_id}: {visit.id} waits until {visit.start} for nothing (arrives "
            f"{visit.arrival})"
        )
    return problems


def at_its_place(route: Route, visit: Visit, place: str) -> list[str]:
    if visit.location_id != place:
        return [f"{route.vehicle_id}: {visit.id} is reported at {visit.location_id}, not {place}"]
    return []


def home_in_time(
    route: Route, last_location: str, ready: int, matrix: TravelMatrix, shift_end: int
) -> list[str]:
    problems = []
    back = ready + matrix.seconds_between(last_location, route.end_location_id)
    if route.return_time != back:
        problems.append(f"{route.vehicle_id}: claims to be home at {route.return_time}, not {back}")
    if max(back, route.return_time) > shift_end:
        problems.append(
            f"{route.vehicle_id}: home at {max(back, route.return_time)}, shift ends {shift_end}"
        )
    return problems


def unknown_places(route: Route, matrix: TravelMatrix) -> list[str]:
    """Places the plan names that the request does not hold; nothing else can be timed then."""
    named = [route.start_location_id, *(v.location_id for v in route.visits)]
    problems = []
    for place in dict.fromkeys([*named, route.end_location_id]):
        try:
            matrix.index(place)
        except KeyError:
            problems.append(f"{route.vehicle_id}: goes to {place}, a place not in the request")
    return problems


def metres_agree(route: Route, matrix: TravelMatrix, stops: Iterable[str]) -> list[str]:
    path = [route.start_location_id, *stops, route.end_location_id]
    driven = sum(matrix.metres_between(a, b) for a, b in itertools.pairwise(path))
    if driven != route.metres:
        return [f"{route.vehicle_id}: reports {route.metres} m but drives {driven} m"]
    return []


def coverage(plan: Plan, kind: str, expected: set[str], excused: set[str]) -> list[str]:
    """Each expected id served exactly once or dropped with a reason; nothing else served.
    `excused` ids (completed earlier) must not appear at all. A plan marked infeasible must say
    why; it too names every stop it leaves out."""
    served = Counter(v.id for r in plan.routes for v in r.visits if v.kind == kind)
    dropped = {d.id: d.reason for d in plan.dropped}
    problems = [f"{i} served {n} times" for i, n in served.items() if n > 1]
    problems += [f"{i} is not part of the request" for i in served if i not in expected]
    problems += [f"{i} was already done and is planned again" for i in served if i in excused]
    if not plan.feasible and not plan.problems:
        problems.append("infeasible plan without a reason")
    if plan.feasible and plan.problems:
        problems.append(f"a feasible plan that reports problems: {list(plan.problems)}")
    problems += [f"{i} is dropped but not in the request" for i in dropped if i not in expected]
    for item in sorted(expected - excused):
        if item not in served and not dropped.get(item):
            problems.append(f"{item} is neither served nor dropped with a reason")
        if item in served and item in dropped:
            problems.append(f"{item} is both served and dropped")
    return problems


def one_route_per_vehicle(plan: Plan, vehicles: set[str]) -> list[str]:
    ids = Counter(r.vehicle_id for r in plan.routes)
    problems = [f"unknown vehicle {v}" for v in ids if v not in vehicles]
    problems += [f"{v} has {n} routes" for v, n in ids.items() if n > 1]
    return problems
