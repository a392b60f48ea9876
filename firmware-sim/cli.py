"""`tilsyn sim ...`: run a scenario into a JSON-lines file, list scenarios, export a registry."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta

from tilsyn.cli import Subcommands


def register(subcommands: Subcommands) -> None:
    """Add this part's subcommands to the `tilsyn` program."""
    sim = subcommands.add_parser("sim", help="simulate device fleets (scenarios, runs, registry)")
    commands = sim.add_subparsers(dest="sim_command", required=True, metavar="SIM_COMMAND")

    run = commands.add_parser("run", help="simulate a scenario and write its emissions")
    run.add_argument("scenario", help="scenario name (see `tilsyn sim scenarios`) or .toml path")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--days", type=float, default=None, help="default: the scenario's length")
    run.add_argument("--start", default=None, help="ISO start with offset (default: scenario's)")
    run.add_argument("--format", choices=("chirpstack", "tts"), default="chirpstack")
    run.add_argument("--out", required=True, help="JSON-lines file ('-' for stdout)")
    run.set_defaults(handler=run_scenario)

    listing = commands.add_parser("scenarios", help="list the scenarios with their counts")
    listing.add_argument("--seed", type=int, default=1)
    listing.set_defaults(handler=list_scenarios)

    registry = commands.add_parser("registry", help="write a scenario's devices as JSON")
    registry.add_argument("scenario")
    registry.add_argument("--seed", type=int, default=1)
    registry.add_argument("--out", default="-")
    registry.set_defaults(handler=write_registry)


def run_scenario(args: argparse.Namespace) -> int:
    from tilsyn.sim import Simulation, load_scenario

    scenario = load_scenario(args.scenario, args.seed)
    sim = Simulation(scenario, lorawan_format=args.format)
    start = datetime.fromisoformat(args.start) if args.start else None
    days = args.days if args.days is not None else scenario.default_days
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115
    count = 0
    try:
        for emission in sim.run(start, timedelta(days=days)):
            out.write(emission.to_json_line() + "\n")
            count += 1
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"{count} emissions from {scenario.name} over {days:g} days", file=sys.stderr)
    return 0


def list_scenarios(args: argparse.Namespace) -> int:
    from tilsyn.sim import load_scenario, scenario_names

    for name in scenario_names():
        scenario = load_scenario(name, args.seed)
        counts = ", ".join(f"{n} {what}" for what, n in scenario.counts().items())
        print(f"{name:<16} {counts}")
        print(f"{'':<16} {scenario.description}")
    return 0


def write_registry(args: argparse.Namespace) -> int:
    from tilsyn.sim import load_scenario
    from tilsyn.sim.scenario.registry import registry_document

    document = registry_document(load_scenario(args.scenario, args.seed))
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    return 0
