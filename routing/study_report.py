"""A strategy's figures over the counted days of a study, as a table or one JSON object."""

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


def km_saved(runs: Mapping[str, StrategyRun]) -> float:
    """Per cent fewer km driven by the sensor-driven plan than by the fixed schedule."""
    fixed, sensor = figures(runs["fixed"]).km, figures(runs["sensor"]).km
    return round(100 * (fixed - sensor) / fixed, 1) if fixed else 0.0


def study_json(setup: StudySetup, runs: Mapping[str, StrategyRun]) -> dict[str, Any]:
    return {
        "days": setup.days,
        "seed": setup.seed,
        "seconds_per_plan": setup.seconds,
        "strategies": {name: asdict(figures(run)) for name, run in runs.items()},
        "km_saved_percent": km_saved(runs),
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
    lines = [f"herning, {setup.days} days, seed {setup.seed}, {setup.seconds:g} s per plan"]
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
    lines.append(f"sensor-driven km against fixed: {-km_saved(runs):+.1f} %")
    return "\n".join(lines)
