"""`solve_solomon(instance, stop, seed)`: the Solomon VRPTW with OR-Tools' iterated local search.

Plain guided local search stalls on these instances after a few seconds (measured: no progress
from 5 s to 40 s on RC101). OR-Tools' iterated local search — ruin with SISR string removal,
recreate by cheapest insertion, greedy descent, simulated-annealing acceptance — keeps moving
and roughly halves the gap in the same time (bench.py prints the figures).

OR-Tools seeds its own random generator with a constant, so `seed` relabels the customers
instead: node order drives every tie-break, and a different order is a different run.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from typing import Any

from tilsyn.routing.params import Stop
from tilsyn.routing.search import (
    FirstSolution,
    Metaheuristic,
    checked,
    routes_of,
    search_parameters,
)
from tilsyn.routing.solomon import Customer, SolomonInstance, total_distance
from tilsyn.routing.solomon_model import build_model


@dataclass(frozen=True)
class SisrRuin:
    """String removal (Christiaens & Vanden Berghe 2020); the paper suggests 10 and 10."""

    max_string: int = 10
    mean_removed: int = 10
    bypass: float = 0.01

    def __post_init__(self) -> None:
        if self.max_string < 1 or self.mean_removed < 1:
            raise ValueError("SISR removes at least one customer")
        if not 0.0 <= self.bypass <= 1.0:
            raise ValueError("bypass factor is a probability")


@dataclass(frozen=True)
class SolomonResult:
    instance: str
    routes: tuple[tuple[int, ...], ...]
    cost: float
    feasible: bool
    seconds: float

    @property
    def vehicles(self) -> int:
        return len(self.routes)

    def as_json(self) -> dict[str, Any]:
        return {
            "cost": self.cost,
            "vehicles": self.vehicles,
            "routes": [list(r) for r in self.routes],
            "feasible": self.feasible,
        }


def solve_solomon(
    instance: SolomonInstance, stop: Stop, seed: int = 0, ruin: SisrRuin = SisrRuin()
) -> SolomonResult:
    started = time.perf_counter()
    order = _relabelling(instance, seed)
    relabelled = replace(instance, customers=_renumbered(instance, order))
    model = build_model(relabelled)
    solution = model.routing.SolveWithIteratedLocalSearch(checked(_ils_parameters(stop, ruin)))
    if solution is None:
        return SolomonResult(instance.name, (), 0.0, False, time.perf_counter() - started)
    routes = [[order[n] for n in r] for r in routes_of(model.routing, model.manager, solution)]
    used = tuple(tuple(r) for r in routes if r)
    served = sorted(n for r in used for n in r)
    cost = total_distance(instance, used)
    feasible = served == list(range(1, instance.size))
    return SolomonResult(instance.name, used, cost, feasible, time.perf_counter() - started)


def _ils_parameters(stop: Stop, ruin: SisrRuin) -> Any:
    params = search_parameters(stop)
    params.first_solution_strategy = FirstSolution.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = Metaheuristic.GREEDY_DESCENT
    params.use_iterated_local_search = True
    ils = params.iterated_local_search_parameters
    recreate = ils.ruin_recreate_parameters
    del recreate.ruin_strategies[:]
    sisr = recreate.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = ruin.max_string
    sisr.avg_num_removed_visits = ruin.mean_removed
    sisr.bypass_factor = ruin.bypass
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.automatic_temperatures = True
    return params


def _relabelling(instance: SolomonInstance, seed: int) -> list[int]:
    """order[new number] = original number; the depot stays 0, seed 0 keeps the file's order."""
    customers = list(range(1, instance.size))
    if seed:
        random.Random(seed).shuffle(customers)
    return [0, *customers]


def _renumbered(instance: SolomonInstance, order: list[int]) -> tuple[Customer, ...]:
    return tuple(replace(instance.customers[old], number=new) for new, old in enumerate(order))
