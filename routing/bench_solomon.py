"""Gap to best-known over the Solomon set, per instance, per class and overall."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from tilsyn.routing.bench_figures import figure, mean, report_violations
from tilsyn.routing.checks import check_solomon
from tilsyn.routing.params import Stop
from tilsyn.routing.solomon import read_best_known, read_instance, solomon_dir
from tilsyn.routing.solomon_solver import SolomonParams, solve_solomon

Row = tuple[float, int, int]  # gap %, vehicles used, vehicles in the best-known solution


def instance_files(wanted: list[str]) -> list[Path]:
    """All instances with a best-known solution, or those whose name starts with a wanted
    prefix (`R1` gives R101-R112, `R101` just that one)."""
    files = sorted(p for p in solomon_dir().glob("*.txt") if p.with_suffix(".sol").is_file())
    if not wanted:
        return files
    return [p for p in files if any(_class_or_name(p.stem, w) for w in wanted)]


def _class_or_name(name: str, wanted: str) -> bool:
    return name == wanted or name[:-2] == wanted


def bench_solomon(seconds: float, wanted: list[str], seed: int, workers: int = 1) -> int:
    files = instance_files(wanted)
    if not files:
        print(f"# no Solomon instances in {solomon_dir()} (set TILSYN_SOLOMON_DIR)", flush=True)
        return 0
    params = SolomonParams(workers=workers)
    by_class: dict[str, list[Row]] = defaultdict(list)
    violations = infeasible = 0
    for path in files:
        instance = read_instance(path)
        best = read_best_known(path.with_suffix(".sol"))
        result = solve_solomon(instance, Stop(seconds=seconds), seed, params)
        problems = check_solomon(instance, result.routes, result.cost)
        violations += report_violations(instance.name, problems)
        infeasible += not result.feasible
        gap = 100 * (result.cost - best.cost) / best.cost
        by_class[instance.name[:-2]].append((gap, result.vehicles, best.vehicles))
        figure(f"routing_solomon_gap_{instance.name}", gap, "%")
    _summary(by_class, seconds, workers)
    figure("routing_solomon_infeasible", infeasible, "instances")
    return violations


def _summary(
    by_class: dict[str, list[tuple[float, int, int]]], seconds: float, workers: int
) -> None:
    for kind, rows in sorted(by_class.items()):
        figure(f"routing_solomon_gap_{kind}", mean([gap for gap, _, _ in rows]), "%")
        figure(f"routing_solomon_vehicles_{kind}", mean([v for _, v, _ in rows]), "vehicles")
        figure(f"routing_solomon_best_vehicles_{kind}", mean([b for _, _, b in rows]), "vehicles")
    every = [gap for rows in by_class.values() for gap, _, _ in rows]
    figure("routing_solomon_mean_gap", mean(every), "%")
    figure("routing_solomon_median_gap", statistics.median(every), "%")
    figure("routing_solomon_max_gap", max(every), "%")
    figure("routing_solomon_instances", len(every), f"at {seconds:g} s each, {workers} worker(s)")
