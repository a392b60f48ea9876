"""Check Solomon routes under the benchmark convention, computing distances independently."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence

from tilsyn.routing.solomon import Customer, SolomonInstance


def _tenths(a: Customer, b: Customer) -> int:
    """Distance truncated to one decimal, in tenths: floor(sqrt(100·d²)) in exact integers."""
    return math.isqrt(100 * ((a.x - b.x) ** 2 + (a.y - b.y) ** 2))


def check_solomon(
    instance: SolomonInstance, routes: Sequence[Sequence[int]], cost: float | None = None
) -> list[str]:
    customers = instance.customers
    violations = _coverage(instance, routes)
    if len([r for r in routes if r]) > instance.vehicles:
        violations.append(f"{len(routes)} routes but only {instance.vehicles} vehicles")
    total = 0
    for number, route in enumerate(routes, start=1):
        if any(not 0 < c < instance.size for c in route):
            continue  # reported by _coverage
        load = sum(customers[c].demand for c in route)
        if load > instance.capacity:
            violations.append(f"route {number}: load {load} exceeds capacity {instance.capacity}")
        violations += _timing(instance, number, route)
        path = [0, *route, 0] if route else []
        total += sum(_tenths(customers[a], customers[b]) for a, b in itertools.pairwise(path))
    if cost is not None and abs(total / 10 - cost) > 1e-6:
        violations.append(f"reported cost {cost} but the routes measure {total / 10}")
    return violations


def _coverage(instance: SolomonInstance, routes: Sequence[Sequence[int]]) -> list[str]:
    seen = Counter(c for route in routes for c in route)
    problems = [f"customer {c} is not a customer number" for c in seen if not 0 < c < instance.size]
    problems += [f"customer {c} visited {n} times" for c, n in seen.items() if n > 1]
    problems += [f"customer {c} not visited" for c in range(1, instance.size) if c not in seen]
    return problems


def _timing(instance: SolomonInstance, number: int, route: Sequence[int]) -> list[str]:
    """Times in tenths: travel time equals distance; waiting for a window to open is allowed."""
    customers, problems = instance.customers, []
    here, clock = customers[0], 0
    for c in route:
        there = customers[c]
        start = max(clock + _tenths(here, there), there.ready * 10)
        if start > there.due * 10:
            problems.append(f"route {number}: customer {c} starts at {start / 10}, due {there.due}")
        here, clock = there, start + there.service * 10
    if route and clock + _tenths(here, customers[0]) > customers[0].due * 10:
        problems.append(f"route {number}: back at the depot after it closes ({customers[0].due})")
    return problems
