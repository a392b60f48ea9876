"""From solver node sequences to the routes a nurse sees, and checks on locked prefixes."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime

from tilsyn.routing.clock import clock
from tilsyn.routing.nurse import NurseTask
from tilsyn.routing.nurse_model import NightModel, NurseStart
from tilsyn.routing.plans import Dropped, Route, Visit
from tilsyn.routing.timeline import Stop, earliest_start, forward_pass
from tilsyn.routing.travel import TravelMatrix


def plan_routes(model: NightModel, routes: list[list[int]]) -> tuple[Route, ...]:
    """One route per nurse, in the request's order (an idle nurse gets an empty route)."""
    return tuple(_route(model, vehicle, nodes) for vehicle, nodes in enumerate(routes))


def _route(model: NightModel, vehicle: int, nodes: list[int]) -> Route:
    start = model.setup.starts[vehicle]
    seconds, metres = model.matrix.seconds, model.matrix.metres
    end_node = len(model.setup.starts) + vehicle
    tasks = [model.task_at(node) for node in nodes]
    stops = [
        Stop(node, ((t.earliest, t.latest),), t.service)
        for node, t in zip(nodes, tasks, strict=True)
    ]
    timings = forward_pass(vehicle, start.free_at, stops, seconds)
    visits = tuple(
        Visit(t.id, t.location.id, "task", timing.arrival, timing.start, timing.departure)
        for t, timing in zip(tasks, timings, strict=True)
    )
    path = [vehicle, *nodes, end_node]
    last_departure = timings[-1].departure if timings else start.free_at
    return Route(
        vehicle_id=start.nurse.id,
        start_location_id=start.position.id,
        end_location_id=start.nurse.base.id,
        departure=start.free_at,
        visits=visits,
        return_time=last_departure + seconds[path[-2]][end_node],
        metres=sum(metres[a][b] for a, b in itertools.pairwise(path)),
    )


def locked_problems(
    starts: tuple[NurseStart, ...],
    tasks: Mapping[str, NurseTask],
    dropped: list[Dropped],
    matrix: TravelMatrix,
    origin: datetime,
) -> list[str]:
    """A locked prefix cannot be re-planned, so if it no longer fits the plan is infeasible."""
    impossible = {d.id: d.reason for d in dropped}
    problems = []
    for start in starts:
        for task_id in start.promised[: start.locked]:
            if task_id in impossible:
                problems.append(f"locked task {task_id} ({start.nurse.id}): {impossible[task_id]}")
    return problems or _late_locked(starts, tasks, matrix, origin)


def _late_locked(
    starts: tuple[NurseStart, ...],
    tasks: Mapping[str, NurseTask],
    matrix: TravelMatrix,
    origin: datetime,
) -> list[str]:
    problems = []
    for start in starts:
        here, now = matrix.index(start.position.id), start.free_at
        for task in (tasks[t] for t in start.promised[: start.locked]):
            there = matrix.index(task.location.id)
            arrival = now + matrix.seconds[here][there]
            begin = earliest_start(arrival, ((task.earliest, task.latest),))
            if begin is None:
                problems.append(
                    f"locked task {task.id} ({start.nurse.id}): arrival {clock(origin, arrival)} "
                    f"is after its window closes at {clock(origin, task.latest)}"
                )
                break
            here, now = there, begin + task.service
    return problems
