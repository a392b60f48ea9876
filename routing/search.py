"""OR-Tools search settings and the plumbing every model in this package shares.

Choices, measured on the Solomon set (see bench.py) and DOMAIN.md §7:
- first solution PARALLEL_CHEAPEST_INSERTION: PATH_CHEAPEST_ARC and AUTOMATIC find nothing at
  all on tight windows (R101);
- guided local search for plans from scratch (the Solomon solver uses iterated local search,
  see `solomon_solver`); the multi-armed-bandit operator order is left off: it made iterated
  local search clearly worse (R101, 2 s: 1803.2 against 1667.7) and guided search no better;
- transit and cost as matrices (`RegisterTransitMatrix`): Python callbacks made every move
  evaluation cross into the interpreter and cost about half the search speed.
"""

from __future__ import annotations

from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util.optional_boolean_pb2 import BOOL_FALSE, BOOL_TRUE

from tilsyn.routing.params import Stop

FirstSolution = routing_enums_pb2.FirstSolutionStrategy
Metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic


def search_parameters(stop: Stop, *, guided: bool = True) -> Any:
    """Routing search parameters for a budget. Without `guided` the search stops at the first
    local optimum: fast and deterministic, used to repair a live plan."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = FirstSolution.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = (
        Metaheuristic.GUIDED_LOCAL_SEARCH if guided else Metaheuristic.GREEDY_DESCENT
    )
    params.time_limit.FromMilliseconds(max(1, round(min(stop.seconds, 86_400.0) * 1000)))
    if stop.solutions is not None:
        params.solution_limit = stop.solutions
    return params


def checked(params: Any) -> Any:
    """OR-Tools answers invalid parameters with a log line and no solution; fail loudly."""
    error = pywrapcp.FindErrorInRoutingSearchParameters(params)
    if error:
        raise ValueError(f"invalid routing search parameters: {error}")
    return params


def only_operators(params: Any, names: set[str]) -> Any:
    """Switch every local-search operator off except `names` (fields of
    `local_search_operators`, e.g. "use_relocate")."""
    operators = params.local_search_operators
    unknown = names - {f.name for f in operators.DESCRIPTOR.fields}
    if unknown:
        raise ValueError(f"unknown local search operators: {sorted(unknown)}")
    for field in operators.DESCRIPTOR.fields:
        setattr(operators, field.name, BOOL_TRUE if field.name in names else BOOL_FALSE)
    return params


def routes_of(model: Any, manager: Any, solution: Any) -> list[list[int]]:
    """Node sequences (without start and end) for every vehicle, in vehicle order."""
    routes = []
    for vehicle in range(model.vehicles()):
        index = solution.Value(model.NextVar(model.Start(vehicle)))
        route = []
        while not model.IsEnd(index):
            route.append(int(manager.IndexToNode(index)))
            index = solution.Value(model.NextVar(index))
        routes.append(route)
    return routes


def indices_of(manager: Any, routes: list[list[int]]) -> list[list[int]]:
    """The inverse of `routes_of`: node numbers to solver indices, for initial routes."""
    return [[int(manager.NodeToIndex(node)) for node in route] for route in routes]
