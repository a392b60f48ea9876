"""Night plans: `solve_night_plan` at shift start, `replan_night` when urgent tasks arrive.

Both first set aside tasks no nurse could do (with the reason), then search. Re-planning starts
from the promised routes with urgent tasks forced in (`nurse_repair`), so the rest of the night
changes only where it must.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from tilsyn.routing.nurse import LiveNight, NightPlanRequest, NurseTask, Priority
from tilsyn.routing.nurse_explain import why_impossible, why_left_out
from tilsyn.routing.nurse_model import NightModel, NightSetup, NurseStart, build_night_model
from tilsyn.routing.nurse_repair import starting_routes
from tilsyn.routing.nurse_routes import locked_problems, plan_routes
from tilsyn.routing.params import Stop
from tilsyn.routing.plans import Dropped, Plan
from tilsyn.routing.search import (
    checked,
    indices_of,
    only_operators,
    routes_of,
    search_parameters,
)
from tilsyn.routing.travel import CachedTravel

PLAN_BUDGET = Stop(seconds=5.0)
REPLAN_BUDGET = Stop(seconds=0.5)
# Repairing a live plan uses only moves that insert, move or swap single tasks: they put the
# urgent task in and make room for it, and leave the rest of each route as promised. Route
# surgery (2-opt, cross, LNS) is left to the guided search that follows only if a promise broke.
REPAIR_MOVES = {
    "use_make_active",
    "use_relocate",
    "use_exchange",
    "use_relocate_and_make_active",
    "use_exchange_and_make_active",
    "use_swap_active",
}


def solve_night_plan(
    request: NightPlanRequest, travel: CachedTravel, stop: Stop = PLAN_BUDGET, seed: int = 0
) -> Plan:
    """The plan at shift start: every nurse leaves from base at the start of shift."""
    starts = tuple(NurseStart(n, n.base, n.shift_start) for n in request.nurses)
    return _plan(request.origin, starts, request.tasks, travel, stop, seed, keep_promises=False)


def replan_night(live: LiveNight, travel: CachedTravel, stop: Stop = REPLAN_BUDGET) -> Plan:
    """Re-plan mid-shift from where the nurses are, keeping promises where possible."""
    nurses = {n.id: n for n in live.request.nurses}
    tasks = tuple(t for t in (*live.request.tasks, *live.urgent) if t.id not in live.completed)
    starts = []
    for state in live.on_road:
        promised = [t for t in state.promised if t not in live.completed]
        locked = len([t for t in state.promised[: state.locked] if t not in live.completed])
        etas = dict(zip(state.promised, state.etas, strict=False))
        nurse = nurses[state.nurse_id]
        # A re-plan before the shift (a visit requested in the evening) starts no one early.
        free_at = max(state.free_at, live.now, nurse.shift_start)
        starts.append(NurseStart(nurse, state.position, free_at, tuple(promised), etas, locked))
    return _plan(live.request.origin, tuple(starts), tasks, travel, stop, 0, keep_promises=True)


def _plan(
    origin: datetime,
    starts: tuple[NurseStart, ...],
    tasks: tuple[NurseTask, ...],
    travel: CachedTravel,
    stop: Stop,
    seed: int,
    *,
    keep_promises: bool,
) -> Plan:
    started = time.perf_counter()
    everything = [*(s.position for s in starts), *(s.nurse.base for s in starts)]
    matrix = travel.matrix([*everything, *(t.location for t in tasks)])
    dropped = [Dropped(t.id, r) for t in tasks if (r := why_impossible(t, starts, matrix, origin))]
    problems = locked_problems(starts, {t.id: t for t in tasks}, dropped, matrix, origin)
    gone = {d.id for d in dropped}
    if problems:
        reason = "not planned: a stop a nurse is already on the way to no longer fits"
        dropped += [Dropped(t.id, reason) for t in tasks if t.id not in gone]
        return Plan((), tuple(dropped), False, tuple(problems), time.perf_counter() - started)
    possible = [t for t in tasks if t.id not in gone]
    if seed:  # a seed relabels the tasks; OR-Tools breaks ties by node order
        random.Random(seed).shuffle(possible)
    setup = NightSetup(_without(starts, gone), tuple(possible))
    model = build_night_model(setup, travel.matrix(setup.locations))
    solution = _search(model, stop, keep_promises)
    if solution is None:
        problem = "no plan found within the search budget; try a longer budget"
        dropped += [Dropped(t.id, f"not planned: {problem}") for t in possible]
        return Plan((), tuple(dropped), False, (problem,), time.perf_counter() - started)
    routes = routes_of(model.routing, model.manager, solution)
    served = {model.task_at(node).id for route in routes for node in route}
    dropped += [Dropped(t.id, why_left_out(t, origin)) for t in possible if t.id not in served]
    plan_seconds = time.perf_counter() - started
    return Plan(plan_routes(model, routes), tuple(dropped), True, (), plan_seconds)


def _search(model: NightModel, stop: Stop, keep_promises: bool) -> Any:
    """A guided search from scratch at shift start. When re-planning: a repair descent from the
    starting routes (fast, changes little), then a guided search for what is left of the
    budget only if a promised or urgent task is still off the routes."""
    routing = model.routing
    if not keep_promises:
        return routing.SolveWithParameters(checked(search_parameters(stop)))
    started = time.perf_counter()
    params = only_operators(search_parameters(stop, guided=False), REPAIR_MOVES)
    routing.CloseModelWithParameters(checked(params))
    tasks = {t.id: t for t in model.setup.tasks}
    kept = starting_routes(model.setup.starts, tasks, model.matrix)
    nodes = [[model.setup.task_node(t) for t in route] for route in kept]
    initial = routing.ReadAssignmentFromRoutes(indices_of(model.manager, nodes), True)
    found = None if initial is None else routing.SolveFromAssignmentWithParameters(initial, params)
    left = stop.seconds - (time.perf_counter() - started)
    if found is not None and (left < 0.1 or _keeps_promises(model, found)):
        return found
    params = checked(search_parameters(stop.within(max(0.1, left))))
    better = routing.SolveFromAssignmentWithParameters(found, params) if found else None
    return better or found or routing.SolveWithParameters(params)


def _keeps_promises(model: NightModel, solution: Any) -> bool:
    """True when every promised task and every urgent one is still on a route."""
    served = {
        model.task_at(n)
        for route in routes_of(model.routing, model.manager, solution)
        for n in route
    }
    promised = {t for s in model.setup.starts for t in s.promised}
    must = [t for t in model.setup.tasks if t.id in promised or t.priority is Priority.URGENT]
    return all(t in served for t in must)


def _without(starts: tuple[NurseStart, ...], gone: set[str]) -> tuple[NurseStart, ...]:
    """Drop impossible tasks from the promises (they are reported as dropped)."""
    return tuple(replace(s, promised=tuple(t for t in s.promised if t not in gone)) for s in starts)
