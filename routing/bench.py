"""Routing benchmarks, one figure per line (`name value unit`).

    python -m tilsyn.routing.bench                      # everything (~25 min: study, 56 × 10 s)
    python -m tilsyn.routing.bench --only night         # urgent-insert latency only
    python -m tilsyn.routing.bench --only solomon --instances R101,RC2 --seconds 2
    python -m tilsyn.routing.bench --only study --study-solutions 50 --study-days 10

Every plan is checked by the independent checker before its figures count; a violation is
printed and fails the run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tilsyn.routing.bench_figures import figure
from tilsyn.routing.bench_night import bench_night
from tilsyn.routing.bench_solomon import bench_solomon
from tilsyn.routing.bench_study import bench_study
from tilsyn.routing.bench_waste import bench_collection
from tilsyn.routing.study import budget

PARTS = ("night", "collection", "study", "solomon")
# A Solomon instance gets 10 s of wall-clock time and every core the machine has (up to two):
# differently seeded runs in parallel, the best one counts (`solve_solomon(workers=...)`).
SOLOMON_WORKERS = min(2, os.cpu_count() or 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tilsyn.routing.bench")
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts")
    parser.add_argument("--seconds", type=float, default=10.0, help="per Solomon instance")
    parser.add_argument("--instances", default="", help="names or class prefixes, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workers",
        type=int,
        default=SOLOMON_WORKERS,
        help=f"parallel Solomon runs per instance ({SOLOMON_WORKERS} here)",
    )
    parser.add_argument("--study-days", type=int, default=30, help="counted days of the study")
    study_search = parser.add_mutually_exclusive_group()
    study_search.add_argument(
        "--study-solutions", type=int, help="per study plan: the same figures on any machine (200)"
    )
    study_search.add_argument("--study-seconds", type=float, help="per study plan, wall clock")
    args = parser.parse_args(argv)
    parts = args.only or list(PARTS)
    violations = 0
    if "night" in parts:
        violations += bench_night()
    if "collection" in parts:
        violations += bench_collection()
    if "study" in parts:
        violations += bench_study(args.study_days, budget(args.study_seconds, args.study_solutions))
    if "solomon" in parts:
        wanted = [w for w in args.instances.split(",") if w]
        violations += bench_solomon(args.seconds, wanted, args.seed, args.workers)
    figure("routing_checker_violations", violations, "count")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
