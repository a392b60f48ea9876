"""`tilsyn route ...`: solve benchmark instances and plan files from the command line.

Handlers import the solvers lazily so that `tilsyn --help` does not load OR-Tools.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tilsyn.cli import Subcommands


def register(subcommands: Subcommands) -> None:
    """Add this part's subcommands to the `tilsyn` program."""
    route = subcommands.add_parser("route", help="plan routes (Solomon benchmark, night, waste)")
    kinds = route.add_subparsers(dest="route_command", required=True, metavar="KIND")
    solomon = kinds.add_parser(
        "solomon", help="solve a Solomon VRPTW instance; print {cost, vehicles, routes, feasible}"
    )
    solomon.add_argument("file", help="instance file, or a name such as R101 (TILSYN_SOLOMON_DIR)")
    _budget(solomon, default=10.0)
    solomon.add_argument(
        "--workers", type=int, default=1, help="parallel differently-seeded runs (default 1)"
    )
    solomon.set_defaults(handler=_solomon)
    night = kinds.add_parser("night", help="plan a night shift from a NightPlanRequest JSON file")
    night.add_argument("file", type=Path)
    _budget(night, default=5.0)
    night.set_defaults(handler=_night)
    waste = kinds.add_parser("collection", help="plan a collection day from a JSON request file")
    waste.add_argument("file", type=Path)
    _budget(waste, default=10.0)
    waste.set_defaults(handler=_collection)
    study = kinds.add_parser(
        "study",
        help="simulated days of herning: fixed schedule and one sized not to overflow, "
        "against sensor-driven",
    )
    study.add_argument("--days", type=int, default=30, help="counted days (30)")
    search = study.add_mutually_exclusive_group()
    search.add_argument(
        "--solutions",
        type=int,
        help="search per plan, in solutions: the same figures on any machine, however busy (200)",
    )
    search.add_argument("--seconds", type=float, help="search per plan, in seconds of wall clock")
    study.add_argument("--seed", type=int, default=1, help="scenario and solver seed (1)")
    study.add_argument(
        "--sizing-z",
        type=float,
        help="fill percentile, as z, that the sized schedule keeps under the brim "
        "(default 1.64, the 95th)",
    )
    study.add_argument(
        "--sizing-slowest-weeks",
        type=int,
        default=4,
        choices=(1, 2, 4),
        help="the sized schedule's slowest rhythm; 1 empties every container at least weekly "
        "(default 4, as the scenario's glass)",
    )
    study.add_argument(
        "--no-saturday",
        action="store_true",
        help="no Saturday runs for what would overflow before Monday (sensor-driven plan)",
    )
    study.add_argument("--json", action="store_true", help="print one JSON object, no table")
    study.add_argument("--progress", action="store_true", help="a line per plan on stderr")
    study.set_defaults(handler=_study)


def _budget(parser: argparse.ArgumentParser, default: float) -> None:
    parser.add_argument("--seconds", type=float, default=default, help=f"search time ({default})")
    parser.add_argument("--seed", type=int, default=0, help="seed (relabels the stops)")


def _solomon(args: argparse.Namespace) -> int:
    from tilsyn.routing.params import Stop
    from tilsyn.routing.solomon import read_instance, resolve_instance
    from tilsyn.routing.solomon_solver import SolomonParams, solve_solomon

    try:
        instance = read_instance(resolve_instance(args.file))
        stop = Stop(seconds=args.seconds)
        params = SolomonParams(workers=args.workers)
    except (OSError, ValueError) as error:
        return _fail("solomon", error)
    result = solve_solomon(instance, stop, args.seed, params)
    print(json.dumps(result.as_json()))
    return 0 if result.feasible else 1


def _night(args: argparse.Namespace) -> int:
    from tilsyn.routing.nurse import NightPlanRequest
    from tilsyn.routing.nurse_solver import solve_night_plan

    return _solve_file(args, "night", NightPlanRequest, solve_night_plan)


def _collection(args: argparse.Namespace) -> int:
    from tilsyn.routing.waste import CollectionRequest
    from tilsyn.routing.waste_solver import solve_collection

    return _solve_file(args, "collection", CollectionRequest, solve_collection)


def _study(args: argparse.Namespace) -> int:
    from tilsyn.routing.study import StudySetup, budget, run_study
    from tilsyn.routing.study_report import figures, study_json, study_table
    from tilsyn.routing.study_sized import SizingRule

    try:
        z = SizingRule().z if args.sizing_z is None else args.sizing_z
        sizing = SizingRule(z=z, slowest_weeks=args.sizing_slowest_weeks)
        setup = StudySetup(
            days=args.days,
            seed=args.seed,
            sizing=sizing,
            saturday_runs=not args.no_saturday,
            **budget(args.seconds, args.solutions),
        )
    except ValueError as error:
        return _fail("study", error)
    progress = (lambda line: print(line, file=sys.stderr, flush=True)) if args.progress else None
    runs = run_study(setup, progress)
    print(json.dumps(study_json(setup, runs)) if args.json else study_table(setup, runs))
    return 1 if any(figures(run).checker_violations for run in runs.values()) else 0


def _solve_file(
    args: argparse.Namespace, command: str, request_type: type[Any], solve: Callable[..., Any]
) -> int:
    """Read a request file, solve it with the configured travel times, print the plan."""
    from tilsyn.routing.io import load_request, plan_json
    from tilsyn.routing.params import Stop
    from tilsyn.routing.settings import RoutingSettings

    try:
        request = load_request(args.file, request_type)
        stop = Stop(seconds=args.seconds)
    except (OSError, ValueError) as error:
        return _fail(command, error)
    plan = solve(request, RoutingSettings().travel(), stop, args.seed)
    print(json.dumps(plan_json(plan)))
    return 0 if plan.feasible else 1


def _fail(command: str, error: Exception) -> int:
    print(f"tilsyn route {command}: {error}", file=sys.stderr)
    return 2
