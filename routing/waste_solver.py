"""`solve_collection(request, travel, stop, seed)`: one day's truck routes.

Containers no truck could empty on its own are reported before solving. Mandatory containers
carry no drop option, as OR-Tools users advise (a penalty below the marginal routing cost
silently drops visits); if the solver then finds no plan, a diagnostic run with a huge
penalty on mandatory containers says which of them do not fit together, instead of failing
without a word.
"""

from __future__ import annotations

import random
import time
from typing import Any

from tilsyn.routing.params import Stop
from tilsyn.routing.plans import Dropped, Plan
from tilsyn.routing.search import checked, routes_of, search_parameters
from tilsyn.routing.travel import CachedTravel
from tilsyn.routing.waste import CollectionRequest, ContainerStop
from tilsyn.routing.waste_explain import why_impossible, why_skipped
from tilsyn.routing.waste_model import CollectionModel, CollectionSetup, build_collection_model
from tilsyn.routing.waste_routes import collection_routes

COLLECTION_BUDGET = Stop(seconds=10.0)


def solve_collection(
    request: CollectionRequest, travel: CachedTravel, stop: Stop = COLLECTION_BUDGET, seed: int = 0
) -> Plan:
    started = time.perf_counter()
    dropped, possible = _screen(request, travel)
    mandatory = {s.id for s in request.stops if s.mandatory}
    problems = [f"mandatory container {d.id}: {d.reason}" for d in dropped if d.id in mandatory]
    if seed:  # a seed relabels the containers; OR-Tools breaks ties by node order
        random.Random(seed).shuffle(possible)
    setup = CollectionSetup(request, tuple(possible))
    model, solution = _solve_or_diagnose(setup, travel, stop)
    if solution is None:
        problem = "no plan found within the search budget, even leaving containers out"
        dropped += [Dropped(s.id, f"not planned: {problem}") for s in possible]
        problems += [f"mandatory container {s.id}: not planned" for s in possible if s.mandatory]
        problems.append(problem)
        return Plan((), tuple(dropped), False, tuple(problems), time.perf_counter() - started)
    left_out = _left_out(model, solution)
    no_room = "does not fit with the other mandatory containers (trucks' time or load runs out)"
    problems += [f"mandatory container {s.id}: {no_room}" for s in left_out if s.mandatory]
    routes = routes_of(model.routing, model.manager, solution)
    dropped += [
        Dropped(s.id, no_room) if s.mandatory else _skip(model, routes, s) for s in left_out
    ]
    plan_routes = collection_routes(model, routes)
    elapsed = time.perf_counter() - started
    return Plan(plan_routes, tuple(dropped), not problems, tuple(problems), elapsed)


def _screen(
    request: CollectionRequest, travel: CachedTravel
) -> tuple[list[Dropped], list[ContainerStop]]:
    """Set aside containers no truck could empty even alone, with the reason."""
    every = CollectionSetup(request, request.stops)
    matrix = travel.matrix(every.locations)
    reasons = {s.id: why_impossible(s, request, every.day, matrix) for s in request.stops}
    dropped = [Dropped(i, r) for i, r in reasons.items() if r]
    return dropped, [s for s in request.stops if not reasons[s.id]]


def _solve_or_diagnose(
    setup: CollectionSetup, travel: CachedTravel, stop: Stop
) -> tuple[CollectionModel, Any]:
    """The real model first; if it has no solution, the one that may leave mandatory
    containers out at a huge price, to learn which."""
    model = build_collection_model(setup, travel.matrix(setup.locations))
    solution = model.routing.SolveWithParameters(checked(search_parameters(stop)))
    if solution is None:
        model = build_collection_model(setup, model.matrix, relax_mandatory=True)
        solution = model.routing.SolveWithParameters(checked(search_parameters(stop)))
    return model, solution


def _left_out(model: CollectionModel, solution: Any) -> list[ContainerStop]:
    served = {node for route in routes_of(model.routing, model.manager, solution) for node in route}
    first = model.setup.first_stop_node
    return [s for node, s in enumerate(model.setup.stops, start=first) if node not in served]


def _skip(model: CollectionModel, routes: list[list[int]], stop: ContainerStop) -> Dropped:
    k = len(model.setup.request.trucks)
    paths = [[v, *r, k + v] for v, r in enumerate(routes) if r]
    node = model.setup.first_stop_node + model.setup.stops.index(stop)
    return Dropped(stop.id, why_skipped(stop, paths, node, model.matrix.metres))
