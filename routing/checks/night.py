"""Check a night plan (at shift start or mid-shift) against the request, independently."""

from __future__ import annotations

from tilsyn.routing.checks.common import (
    at,
    at_its_place,
    coverage,
    home_in_time,
    metres_agree,
    one_route_per_vehicle,
    reached_in_time,
    unknown_places,
)
from tilsyn.routing.nurse import LiveNight, NightPlanRequest, Nurse, NurseTask
from tilsyn.routing.plans import Plan, Route
from tilsyn.routing.travel import TravelMatrix


def check_night_plan(
    request: NightPlanRequest, plan: Plan, matrix: TravelMatrix, live: LiveNight | None = None
) -> list[str]:
    """Windows, competence, end of shift, locked prefixes, and no task silently dropped."""
    tasks = {t.id: t for t in (*request.tasks, *(live.urgent if live else ()))}
    done = set(live.completed) if live else set()
    problems = one_route_per_vehicle(plan, {n.id for n in request.nurses})
    problems += coverage(plan, "task", set(tasks), done)
    if not plan.feasible and plan.routes:
        problems.append("an infeasible night plan carries routes (the nurses' next moves are open)")
    nurses = {n.id: n for n in request.nurses}
    for route in plan.routes:
        if route.vehicle_id in nurses:
            problems += _route(route, nurses[route.vehicle_id], tasks, matrix, request, live)
    if live and plan.feasible:
        problems += _locked_kept(plan, live)
    return problems


def _locked_kept(plan: Plan, live: LiveNight) -> list[str]:
    """A nurse on her way to a locked stop keeps it, even if the plan gives her no route."""
    routed = {r.vehicle_id for r in plan.routes}
    return [
        f"{state.nurse_id}: has locked stops {list(state.promised[: state.locked])} but no route"
        for state in live.on_road
        if state.nurse_id not in routed
        and any(t not in live.completed for t in state.promised[: state.locked])
    ]


def _route(
    route: Route,
    nurse: Nurse,
    tasks: dict[str, NurseTask],
    matrix: TravelMatrix,
    request: NightPlanRequest,
    live: LiveNight | None,
) -> list[str]:
    unknown = unknown_places(route, matrix)
    if unknown:
        return unknown
    start_problems, free = _start(route, nurse, live)
    problems = start_problems + metres_agree(route, matrix, route_locations(route))
    if route.end_location_id != nurse.base.id:
        problems.append(f"{nurse.id}: ends at {route.end_location_id}, not at base")
    here, ready = route.start_location_id, route.departure
    for visit in route.visits:
        task = tasks.get(visit.id)
        if visit.kind != "task" or task is None:
            problems.append(f"{nurse.id}: unknown stop {visit.kind} {visit.id}")
            continue
        problems += at_its_place(route, visit, task.location.id)
        problems += reached_in_time(route, visit, here, ready, matrix, (task.earliest,))
        problems += _task_rules(route, visit.start, visit.departure, task, nurse, request)
        here, ready = visit.location_id, visit.departure
    # Home by the end of shift; a nurse whose started visit overran it goes straight home.
    straight_home = free + matrix.seconds_between(route.start_location_id, nurse.base.id)
    return problems + home_in_time(route, here, ready, matrix, max(nurse.shift_end, straight_home))


def route_locations(route: Route) -> list[str]:
    return [v.location_id for v in route.visits]


def _start(route: Route, nurse: Nurse, live: LiveNight | None) -> tuple[list[str], int]:
    """Leaves from base at shift start, or mid-shift from where the nurse is, with the locked
    prefix first and in order; also when the nurse is free."""
    state = next((s for s in live.on_road if s.nurse_id == nurse.id), None) if live else None
    place, free = nurse.base.id, nurse.shift_start
    if live:  # mid-shift nobody leaves in the past; a nurse on the road leaves from where she is
        free = max(free, live.now)
    if state and live:
        place, free = state.position.id, max(nurse.shift_start, state.free_at, live.now)
    problems = []
    if route.start_location_id != place:
        problems.append(f"{nurse.id}: starts at {route.start_location_id}, is at {place}")
    if route.departure < free:
        problems.append(f"{nurse.id}: leaves at {route.departure}, is free at {free}")
    if state and live:
        locked = [t for t in state.promised[: state.locked] if t not in live.completed]
        if [v.id for v in route.visits[: len(locked)]] != locked:
            problems.append(f"{nurse.id}: locked stops {locked} are not kept first and in order")
    return problems, free


def _task_rules(
    route: Route, start: int, end: int, task: NurseTask, nurse: Nurse, request: NightPlanRequest
) -> list[str]:
    problems = []
    if nurse.competence.rank < task.requires.rank:
        problems.append(f"{nurse.id}: not qualified for {task.id} ({task.requires.name})")
    if not task.earliest <= start <= task.latest:
        problems.append(
            f"{nurse.id}: {task.id} starts {at(request.origin, start)}, window "
            f"{at(request.origin, task.earliest)}-{at(request.origin, task.latest)}"
        )
    if end != start + task.service:
        problems.append(f"{nurse.id}: {task.id} takes {end - start} s, not {task.service} s")
    return problems
