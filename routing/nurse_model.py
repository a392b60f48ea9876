"""The night-nurse problem as an OR-Tools routing model.

Nodes: one start per nurse (base, or where the nurse is now), one end per nurse (base), then one
node per task. Cost is driving time in seconds, plus, when re-planning, penalties that keep what
was promised: a task moved to another nurse, two promised tasks swapped, or a promised ETA
slipping by more than a tolerance.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ortools.constraint_solver import pywrapcp

from tilsyn.routing.geo import Location
from tilsyn.routing.nurse import Nurse, NurseTask, Priority
from tilsyn.routing.travel import TravelMatrix

REASSIGN_PENALTY_S = 1800  # moving a promised task to the other nurse weighs like 30 min driving
REORDER_PENALTY_S = 600  # visiting two promised tasks in swapped order
ETA_TOLERANCE_S = 900  # a promised ETA may slip this much before it costs anything


@dataclass(frozen=True)
class NurseStart:
    """Where and when a nurse's route begins, and what it must keep from an earlier plan."""

    nurse: Nurse
    position: Location
    free_at: int
    promised: tuple[str, ...] = ()
    etas: Mapping[str, int] = field(default_factory=dict)
    locked: int = 0


@dataclass(frozen=True)
class NightSetup:
    starts: tuple[NurseStart, ...]
    tasks: tuple[NurseTask, ...]

    @property
    def locations(self) -> list[Location]:
        """Matrix order: starts, ends (bases), tasks — the node numbering of the model."""
        return [
            *(s.position for s in self.starts),
            *(s.nurse.base for s in self.starts),
            *(t.location for t in self.tasks),
        ]

    def task_node(self, task_id: str) -> int:
        offset = 2 * len(self.starts)
        return offset + next(i for i, t in enumerate(self.tasks) if t.id == task_id)


@dataclass
class NightModel:
    setup: NightSetup
    matrix: TravelMatrix
    manager: Any
    routing: Any

    def task_at(self, node: int) -> NurseTask:
        return self.setup.tasks[node - 2 * len(self.setup.starts)]


def drop_penalty(priority: Priority, unit: int, levels: int) -> int:
    """Each priority level outweighs any number of tasks below it; `unit` already exceeds all
    routing costs, so nothing is dropped that could have been served."""
    return int(unit * levels**priority.rank)


def home_deadline(start: NurseStart, seconds_home: int) -> int:
    """When a nurse must be back at base: at the end of her shift, or, when a visit she has
    started ends too late for that, straight home from it (no more tasks that night). Without
    the second case a visit that overran the shift made every re-plan fail."""
    return max(start.nurse.shift_end, start.free_at + seconds_home)


def build_night_model(setup: NightSetup, matrix: TravelMatrix) -> NightModel:
    n = len(setup.starts)
    manager = pywrapcp.RoutingIndexManager(
        len(matrix.locations), n, list(range(n)), list(range(n, 2 * n))
    )
    routing = pywrapcp.RoutingModel(manager)
    model = NightModel(setup, matrix, manager, routing)
    _add_costs(model)
    _add_time(model)
    _add_task_rules(model)
    return model


def _add_costs(model: NightModel) -> None:
    """Per-nurse arc costs: driving seconds plus the promise-keeping penalties."""
    setup, seconds = model.setup, model.matrix.seconds
    owner = {tid: v for v, s in enumerate(setup.starts) for tid in s.promised}
    for vehicle, start in enumerate(setup.starts):
        rank = {tid: i for i, tid in enumerate(start.promised)}
        costs = [list(row) for row in seconds]
        for j, task in enumerate(setup.tasks, start=2 * len(setup.starts)):
            if owner.get(task.id, vehicle) != vehicle:
                for i in range(len(costs)):
                    costs[i][j] += REASSIGN_PENALTY_S
            for i, before in enumerate(setup.tasks, start=2 * len(setup.starts)):
                if task.id in rank and before.id in rank and rank[task.id] < rank[before.id]:
                    costs[i][j] += REORDER_PENALTY_S
        callback = model.routing.RegisterTransitMatrix(costs)
        model.routing.SetArcCostEvaluatorOfVehicle(callback, vehicle)


def _add_time(model: NightModel) -> None:
    setup, routing, manager = model.setup, model.routing, model.manager
    n = len(setup.starts)
    service = [0] * (2 * n) + [t.service for t in setup.tasks]
    transit = [
        [travel + service[i] for travel in row] for i, row in enumerate(model.matrix.seconds)
    ]
    home_by = [
        home_deadline(start, model.matrix.seconds[vehicle][n + vehicle])
        for vehicle, start in enumerate(setup.starts)
    ]
    horizon = max(home_by)
    routing.AddDimension(routing.RegisterTransitMatrix(transit), horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")
    for vehicle, start in enumerate(setup.starts):
        time.CumulVar(routing.Start(vehicle)).SetRange(start.free_at, home_by[vehicle])
        time.CumulVar(routing.End(vehicle)).SetMax(home_by[vehicle])
        for task_id, eta in start.etas.items():
            if task_id not in start.promised:
                continue
            index = manager.NodeToIndex(setup.task_node(task_id))
            time.SetCumulVarSoftUpperBound(index, eta + ETA_TOLERANCE_S, 1)
    for node, task in enumerate(setup.tasks, start=2 * n):
        time.CumulVar(manager.NodeToIndex(node)).SetRange(task.earliest, task.latest)


def _add_task_rules(model: NightModel) -> None:
    """Competence, locked prefixes, and a drop penalty for every task not locked."""
    setup, routing, manager = model.setup, model.routing, model.manager
    locked = {tid: v for v, s in enumerate(setup.starts) for tid in s.promised[: s.locked]}
    unit = _penalty_unit(model)
    for task in setup.tasks:
        index = manager.NodeToIndex(setup.task_node(task.id))
        able = [v for v, s in enumerate(setup.starts) if s.nurse.can_do(task)]
        allowed = [locked[task.id]] if task.id in locked else able
        # SetAllowedVehiclesForIndex's SWIG binding rejects Python lists (absl::Span); removing
        # the other vehicles from the node's vehicle variable is the same constraint.
        routing.VehicleVar(index).RemoveValues(
            [v for v in range(len(setup.starts)) if v not in allowed]
        )
        if task.id not in locked:
            routing.AddDisjunction([index], drop_penalty(task.priority, unit, len(setup.tasks) + 1))
    for vehicle, start in enumerate(setup.starts):
        chain = [routing.Start(vehicle)]
        chain += [manager.NodeToIndex(setup.task_node(t)) for t in start.promised[: start.locked]]
        for before, after in itertools.pairwise(chain):
            routing.solver().Add(routing.NextVar(before) == after)


def _penalty_unit(model: NightModel) -> int:
    """More than the whole night's routing cost with every promise broken could ever be."""
    longest = max(max(row) for row in model.matrix.seconds)
    horizon = max(s.nurse.shift_end for s in model.setup.starts)
    per_stop = longest + REASSIGN_PENALTY_S + REORDER_PENALTY_S + horizon
    return (len(model.setup.tasks) + 2 * len(model.setup.starts)) * per_stop + 1
