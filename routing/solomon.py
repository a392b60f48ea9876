"""Solomon VRPTW instances and best-known solutions, under the benchmark's own convention.

The convention (README of the data folder, DOMAIN.md §7): Euclidean distance truncated to one
decimal, travel time equal to distance, objective = total distance. Everything here is kept in
tenths so that the arithmetic is exact integers; `TENTHS` converts back for reporting.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TENTHS = 10
LIMIT = 10**7  # coordinates, demands and times: far beyond any benchmark, within 64 bits
DEFAULT_DIR = Path("../shared/data/solomon")


@dataclass(frozen=True)
class Customer:
    """One row of the instance; row 0 is the depot. Times are in the file's own units."""

    number: int
    x: int
    y: int
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class SolomonInstance:
    name: str
    vehicles: int
    capacity: int
    customers: tuple[Customer, ...]

    def __post_init__(self) -> None:
        if not self.customers or self.customers[0].number != 0:
            raise ValueError(f"{self.name}: the first row must be the depot (number 0)")
        if [c.number for c in self.customers] != list(range(len(self.customers))):
            raise ValueError(f"{self.name}: customers must be numbered 0..n in order")

    @property
    def size(self) -> int:
        """Number of nodes including the depot."""
        return len(self.customers)


@dataclass(frozen=True)
class BestKnown:
    routes: tuple[tuple[int, ...], ...]
    cost: float

    @property
    def vehicles(self) -> int:
        return len(self.routes)


def solomon_dir() -> Path:
    """The data folder: `TILSYN_SOLOMON_DIR`, else `../shared/data/solomon` from the repo root."""
    configured = os.environ.get("TILSYN_SOLOMON_DIR")
    return Path(configured) if configured else DEFAULT_DIR


def resolve_instance(name_or_path: str) -> Path:
    """Accept a path to an instance file, or a bare name such as `R101` in the data folder."""
    given = Path(name_or_path)
    if given.is_file():
        return given
    stem = given.name.removesuffix(".txt")
    candidate = solomon_dir() / f"{stem}.txt"
    if candidate.is_file():
        return candidate
    raise FileNotFoundError(f"no Solomon instance {name_or_path!r} (looked in {solomon_dir()})")


def read_instance(path: Path) -> SolomonInstance:
    """Parse an instance file. Anything off the format is refused with the line it is on: a
    row cut short would otherwise lose its customer without a word."""
    rows = [(n, line.split()) for n, line in enumerate(path.read_text().splitlines(), 1)]
    rows = [(n, row) for n, row in rows if row]
    if not rows:
        raise ValueError(f"{path}: empty file")
    heads = [i for i, (_, row) in enumerate(rows) if row[:2] == ["NUMBER", "CAPACITY"]]
    columns = [i for i, (_, row) in enumerate(rows) if row[:2] == ["CUST", "NO."]]
    if not heads or not columns or columns[0] < heads[0] + 2:
        raise ValueError(f"{path}: not a Solomon instance (no NUMBER CAPACITY, CUST NO. lines)")
    line, row = rows[heads[0] + 1]
    vehicles, capacity = _numbers(path, line, row, 2)
    if not 1 <= vehicles <= LIMIT or not 1 <= capacity <= LIMIT:
        raise ValueError(f"{path}:{line}: vehicles and capacity must lie in 1..{LIMIT}")
    customers = tuple(_customer(path, line, row, capacity) for line, row in rows[columns[0] + 1 :])
    return SolomonInstance(rows[0][1][0], vehicles, capacity, customers)


def _numbers(path: Path, line: int, row: list[str], count: int) -> list[int]:
    if len(row) != count:
        raise ValueError(f"{path}:{line}: expected {count} numbers, found {len(row)}")
    try:
        values = [float(v) for v in row]
    except ValueError:
        raise ValueError(f"{path}:{line}: not a number in {' '.join(row)!r}") from None
    if not all(math.isfinite(v) and abs(v) <= LIMIT and v == int(v) for v in values):
        raise ValueError(f"{path}:{line}: whole numbers within ±{LIMIT} expected")
    return [int(v) for v in values]


def _customer(path: Path, line: int, row: list[str], capacity: int) -> Customer:
    customer = Customer(*_numbers(path, line, row, 7))
    if customer.demand < 0 or customer.service < 0 or customer.ready < 0:
        raise ValueError(f"{path}:{line}: negative demand, ready time or service time")
    if customer.ready > customer.due:
        raise ValueError(f"{path}:{line}: customer {customer.number} is ready after it is due")
    if customer.demand > capacity:
        raise ValueError(
            f"{path}:{line}: customer {customer.number} needs {customer.demand}, more than a "
            f"vehicle holds ({capacity})"
        )
    return customer


def read_best_known(path: Path) -> BestKnown:
    """Parse a CVRPLIB `.sol` file: `Route #k: c1 c2 ...` lines and a `Cost` line."""
    routes: list[tuple[int, ...]] = []
    cost = math.nan
    for line in path.read_text().splitlines():
        if line.startswith("Route"):
            routes.append(tuple(int(v) for v in line.split(":", 1)[1].split()))
        elif line.startswith("Cost"):
            cost = float(line.split()[1])
    if math.isnan(cost):
        raise ValueError(f"{path}: no Cost line")
    return BestKnown(tuple(routes), cost)


def distance_tenths(a: Customer, b: Customer) -> int:
    """Euclidean distance truncated to one decimal, in tenths.

    floor(10·sqrt(d²)) = isqrt(100·d²) exactly, with no floating-point rounding at the cut.
    """
    return math.isqrt(TENTHS * TENTHS * ((a.x - b.x) ** 2 + (a.y - b.y) ** 2))


def distance_matrix_tenths(instance: SolomonInstance) -> list[list[int]]:
    nodes = instance.customers
    return [[distance_tenths(a, b) for b in nodes] for a in nodes]


def total_distance(instance: SolomonInstance, routes: Sequence[Sequence[int]]) -> float:
    """The benchmark objective of routes given as customer numbers (depot implied at both ends)."""
    nodes = instance.customers
    tenths = 0
    for route in routes:
        path = [0, *route, 0] if route else []
        tenths += sum(distance_tenths(nodes[a], nodes[b]) for a, b in itertools.pairwise(path))
    return tenths / TENTHS
