"""The Solomon VRPTW as an OR-Tools routing model, in tenths of the benchmark's units.

Times and distances are scaled by ten after truncation, so every number the solver sees is an
exact integer and the reported cost is exactly the benchmark's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ortools.constraint_solver import pywrapcp

from tilsyn.routing.solomon import TENTHS, SolomonInstance, distance_matrix_tenths

# Every customer is optional at this price, far above any route's cost: a partial set of routes
# is then a valid starting point (restarts after a ruin), and the search puts everyone back.
UNSERVED_PENALTY = 10**9


@dataclass
class SolomonModel:
    instance: SolomonInstance
    distances: list[list[int]]
    manager: Any
    routing: Any


def build_model(instance: SolomonInstance) -> SolomonModel:
    distances = distance_matrix_tenths(instance)
    customers = instance.customers
    manager = pywrapcp.RoutingIndexManager(instance.size, instance.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(distances))
    _add_time(routing, manager, instance, distances)
    demand = routing.RegisterUnaryTransitVector([c.demand for c in customers])
    routing.AddDimensionWithVehicleCapacity(
        demand, 0, [instance.capacity] * instance.vehicles, True, "load"
    )
    for customer in customers[1:]:
        routing.AddDisjunction([manager.NodeToIndex(customer.number)], UNSERVED_PENALTY)
    return SolomonModel(instance, distances, manager, routing)


def _add_time(routing: Any, manager: Any, instance: SolomonInstance, distances: Any) -> None:
    """Travel time = distance; a customer's service time is added on the arc leaving it."""
    customers = instance.customers
    transit = [
        [distances[a][b] + customers[a].service * TENTHS for b in range(instance.size)]
        for a in range(instance.size)
    ]
    horizon = customers[0].due * TENTHS
    routing.AddDimension(routing.RegisterTransitMatrix(transit), horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")
    for customer in customers[1:]:
        time.CumulVar(manager.NodeToIndex(customer.number)).SetRange(
            customer.ready * TENTHS, customer.due * TENTHS
        )
