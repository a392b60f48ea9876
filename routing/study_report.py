"""A strategy's figures over the counted days of a study, as a table or one JSON object.

Strategies: `fixed` (the scenario's schedule), `sized` (a fixed schedule sized not to
overflow), `sensor` (the sensor-driven plan)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from tilsyn.routing.study import StrategyRun, StudySetup


@dataclass(frozen=True)
class StrategyFigures:
    km: float
    truck_hours: float
    containers_emptied: int
    mean_fill_at_emptying: float  # true fill, 0..1
    overflow_hours: float  # true, summed over containers
    containers_overflowing: int
    warmup_overflow_hours: float  # the warm-up days before, not counted
    plans: int
    infeasible_plans: int
    checker_violations: int


def figures(run: StrategyRun) -> StrategyFigures:
    counted = [d for d in run.days if d.counted]
    fills = [fill for _, _, fill in run.emptyings]
    return StrategyFigures(
        km=round(sum(d.plan.km for d in counted), 1),
        truck_hours=round(sum(r.duration for d in counted for r in d.plan.routes) / 3600, 1),
        containers_emptied=len(run.emptyings),
        mean_fill_at_emptying=round(sum(fills) / len(fills), 3) if fills else 0.0,
        overflow_hours=round(sum(run.overflow_hours.values()), 1),
        containers_overflowing=sum(hours > 0 for hours in run.overflow_hours.values()),
        warmup_overflow_hours=round(run.warmup_overflow_hours, 1),
        plans=len(counted),
        infeasible_plans=sum(not d.plan.feasible for d in run.days),
        checker_violations=sum(len(d.violations) for d in run.days),
    )


BASELINES = ("fixed", "sized")  # the fixed schedules the sensor-driven plan is measured against


def km_saved(runs: Mapping[str, StrategyRun], baseline: str) -> float:
    """Per cent fewer km driven by the sensor-driven plan than by a fixed schedule."""
    fixed, sensor = figures(runs[baseline]).km, figures(runs["sensor"]).km
    return round(100 * (fixed - sensor) / fixed, 1) if fixed else 0.0


def savings(runs: Mapping[str, StrategyRun]) -> dict[str, float]:
    """`km_saved` against each baseline that ran, if the sensor-driven plan ran."""
    if "sensor" not in runs:
        return {}
    return {name: km_saved(runs, name) for name in BASELINES if name in runs}


def study_json(setup: StudySetup, runs: Mapping[str, StrategyRun]) -> dict[str, Any]:
    return {
        "days": setup.days,
        "seed": setup.seed,
        "seconds_per_plan": None if setup.solutions else setup.seconds,
        "solutions_per_plan": setup.solutions,
        "sizing_z": setup.sizing.z,
        "sizing_slowest_weeks": setup.sizing.slowest_weeks,
        "strategies": {name: asdict(figures(run)) for name, run in runs.items()},
        "km_saved_percent": savings(runs),
    }


ROWS = (
    ("km", "km"),
    ("truck hours", "truck_hours"),
    ("containers emptied", "containers_emptied"),
    ("mean fill at emptying", "mean_fill_at_emptying"),
    ("overflow-hours", "overflow_hours"),
    ("containers overflowing", "containers_overflowing"),
    ("overflow-hours in the warm-up", "warmup_overflow_hours"),
    ("plans (infeasible)", "plans"),
    ("checker violations", "checker_violations"),
)


def study_table(setup: StudySetup, runs: Mapping[str, StrategyRun]) -> str:
    columns = {name: asdict(figures(run)) for name, run in runs.items()}
    weeks = setup.sizing.slowest_weeks
    slowest = "week" if weeks == 1 else f"{weeks} weeks"
    lines = [
        f"herning, {setup.days} days, seed {setup.seed}, {setup.budget_text}; "
        f"sized at z {setup.sizing.z:g}, at least every {slowest}"
    ]
    lines.append(f"{'':36}" + "".join(f"{name:>14}" for name in columns))
    for label, key in ROWS:
        cells = []
        for values in columns.values():
            cell = values[key]
            if key == "plans":
                cell = f"{cell} ({values['infeasible_plans']})"
            elif key == "mean_fill_at_emptying":
                cell = f"{100 * cell:.1f} %"
            cells.append(f"{cell:>14}")
        lines.append(f"{label:36}" + "".join(cells))
    for name, saved in savings(runs).items():
        lines.append(f"sensor-driven km against {name}: {-saved:+.1f} %")
    return "\n".join(lines)
