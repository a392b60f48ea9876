"""Waste collection as an OR-Tools routing model, with tip runs.

Nodes: one start and one end per truck (its depot), `max_tips - 1` copies of every disposal
site per truck for tip runs during the day (optional, free to skip, shared by all trucks; a
count per truck keeps each to `max_tips`), then the containers.

The last tip run of the day is folded into the arcs that end a route: driving from the last
container to the end costs the way through the best site and back to the depot
(`waste_arcs`). A loaded truck therefore always tips before going home, and a route with one
container is already complete — insertion heuristics can build routes one stop at a time.

Volume and weight are two load dimensions. A tip node's transit is minus the largest capacity
and its slack may give any of it back, so the load after a tip can drop to anything down to
zero; every other node has zero slack.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ortools.constraint_solver import pywrapcp

from tilsyn.routing.bounds import Window
from tilsyn.routing.geo import Location
from tilsyn.routing.travel import TravelMatrix
from tilsyn.routing.waste import CollectionRequest, ContainerStop, DisposalSite
from tilsyn.routing.waste_arcs import route_arcs

# A mandatory container left out in the diagnostic run costs this much: more than any plan.
RELAXED_MANDATORY_PENALTY = 10**12


@dataclass(frozen=True)
class CollectionSetup:
    request: CollectionRequest
    stops: tuple[ContainerStop, ...]

    @property
    def trucks(self) -> int:
        return len(self.request.trucks)

    @cached_property
    def tips(self) -> list[DisposalSite]:
        copies = self.trucks * (self.request.max_tips - 1)
        return [site for site in self.request.disposal_sites for _ in range(copies)]

    @cached_property
    def first_stop_node(self) -> int:
        return 2 * self.trucks + len(self.tips)

    @property
    def nodes(self) -> int:
        return self.first_stop_node + len(self.stops)

    @property
    def locations(self) -> list[Location]:
        """The routing nodes in order, then each disposal site once (for the final tip)."""
        trucks = self.request.trucks
        return [
            *(t.depot for t in trucks),
            *(t.depot for t in trucks),
            *(site.location for site in self.tips),
            *(stop.location for stop in self.stops),
            *(site.location for site in self.request.disposal_sites),
        ]

    @property
    def day(self) -> Window:
        trucks = self.request.trucks
        return (min(t.shift_start for t in trucks), max(t.shift_end for t in trucks))


@dataclass
class CollectionModel:
    setup: CollectionSetup
    matrix: TravelMatrix
    manager: Any
    routing: Any

    def is_tip(self, node: int) -> bool:
        return 2 * self.setup.trucks <= node < self.setup.first_stop_node

    def tip_at(self, node: int) -> DisposalSite:
        return self.setup.tips[node - 2 * self.setup.trucks]

    def stop_at(self, node: int) -> ContainerStop:
        return self.setup.stops[node - self.setup.first_stop_node]

    def service(self, node: int) -> int:
        if node < 2 * self.setup.trucks:
            return 0
        return self.tip_at(node).service if self.is_tip(node) else self.stop_at(node).service


def build_collection_model(
    setup: CollectionSetup, matrix: TravelMatrix, *, relax_mandatory: bool = False
) -> CollectionModel:
    k = setup.trucks
    manager = pywrapcp.RoutingIndexManager(setup.nodes, k, list(range(k)), list(range(k, 2 * k)))
    routing = pywrapcp.RoutingModel(manager)
    model = CollectionModel(setup, matrix, manager, routing)
    metres, seconds = route_arcs(model)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(metres))
    _add_time(model, seconds)
    _add_load(model, "volume", [t.capacity_l for t in setup.request.trucks], "volume_l")
    _add_load(model, "weight", [t.capacity_kg for t in setup.request.trucks], "weight_kg")
    _add_disjunctions(model, relax_mandatory)
    _no_back_to_back_tips(model)
    _tips_per_truck(model)
    return model


def _tips_per_truck(model: CollectionModel) -> None:
    """Any truck may use any copy of a disposal site, so the copies alone do not bound one
    truck's tip runs: a count per truck does, `max_tips - 1` during the day plus the last."""
    setup, routing = model.setup, model.routing
    is_tip = [1 if model.is_tip(node) else 0 for node in range(setup.nodes)]
    counted = routing.RegisterUnaryTransitVector(is_tip)
    routing.AddDimension(counted, 0, setup.request.max_tips - 1, True, "tips")


def _no_back_to_back_tips(model: CollectionModel) -> None:
    """Two tip runs in a row are the same as one; forbid it rather than leave it to costs."""
    manager, setup = model.manager, model.setup
    tips = [manager.NodeToIndex(n) for n in range(2 * setup.trucks, setup.first_stop_node)]
    for tip in tips:
        model.routing.NextVar(tip).RemoveValues([other for other in tips if other != tip])


def _add_time(model: CollectionModel, seconds: list[list[int]]) -> None:
    setup, routing, manager = model.setup, model.routing, model.manager
    # A node's service time is added to every arc leaving it: looked up once per row.
    services = [model.service(node) for node in range(len(seconds))]
    transit = [[t + service for t in row] for service, row in zip(services, seconds, strict=True)]
    horizon = setup.day[1]
    routing.AddDimension(routing.RegisterTransitMatrix(transit), horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")
    for vehicle, truck in enumerate(setup.request.trucks):
        time.CumulVar(routing.Start(vehicle)).SetRange(truck.shift_start, truck.shift_end)
        time.CumulVar(routing.End(vehicle)).SetMax(truck.shift_end)
        time.SetSpanUpperBoundForVehicle(truck.longest_day, vehicle)
    for node, stop in enumerate(setup.stops, start=setup.first_stop_node):
        windows = setup.request.allowed_windows(stop, setup.day)
        _restrict(time.CumulVar(manager.NodeToIndex(node)), windows)


def _restrict(cumul: Any, windows: tuple[Window, ...]) -> None:
    """Allow service to start only inside `windows` (sorted, disjoint, not empty)."""
    cumul.SetRange(windows[0][0], windows[-1][1])
    for (_, closes), (opens, _) in itertools.pairwise(windows):
        if opens - closes > 1:
            cumul.RemoveInterval(closes + 1, opens - 1)


def _add_load(model: CollectionModel, name: str, capacities: list[int], field: str) -> None:
    setup, routing, manager = model.setup, model.routing, model.manager
    biggest = max(capacities)
    transit = [0] * (2 * setup.trucks) + [-biggest] * len(setup.tips)
    transit += [int(getattr(stop, field)) for stop in setup.stops]
    callback = routing.RegisterUnaryTransitVector(transit)
    routing.AddDimensionWithVehicleCapacity(callback, biggest, capacities, True, name)
    load = routing.GetDimensionOrDie(name)
    for vehicle in range(setup.trucks):
        load.SlackVar(routing.Start(vehicle)).SetValue(0)
    for node in range(setup.first_stop_node, setup.nodes):
        load.SlackVar(manager.NodeToIndex(node)).SetValue(0)


def _add_disjunctions(model: CollectionModel, relax_mandatory: bool) -> None:
    """Tips are free to skip; optional containers cost their penalty; mandatory ones have no
    disjunction at all, except in the diagnostic run that looks for which of them cannot fit."""
    setup, routing, manager = model.setup, model.routing, model.manager
    for node in range(2 * setup.trucks, setup.first_stop_node):
        routing.AddDisjunction([manager.NodeToIndex(node)], 0)
    for node, stop in enumerate(setup.stops, start=setup.first_stop_node):
        if stop.mandatory and not relax_mandatory:
            continue
        penalty = RELAXED_MANDATORY_PENALTY if stop.mandatory else stop.skip_penalty
        routing.AddDisjunction([manager.NodeToIndex(node)], penalty)
