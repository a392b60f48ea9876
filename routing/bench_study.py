"""The 30-day Herning study: the scenario's fixed schedule and a fixed schedule sized not to
overflow, against the sensor-driven plan."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from tilsyn.routing.bench_figures import figure, report_violations
from tilsyn.routing.study import StudySetup, run_study
from tilsyn.routing.study_report import figures, savings

UNITS = {
    "km": "km",
    "truck_hours": "h",
    "containers_emptied": "containers",
    "mean_fill_at_emptying": "%",
    "overflow_hours": "h",
    "containers_overflowing": "containers",
    "warmup_overflow_hours": "h",
    "infeasible_plans": "plans",
}


def bench_study(days: int, budget: dict[str, Any]) -> int:
    """`budget`: the `StudySetup` fields of the search per plan (`study.budget`)."""
    runs = run_study(StudySetup(days=days, **budget))
    violations = 0
    for name, run in runs.items():
        values = asdict(figures(run))
        for key, unit in UNITS.items():
            value = 100 * values[key] if unit == "%" else values[key]
            figure(f"routing_study_{name}_{key}", value, unit)
        for day in run.days:
            violations += report_violations(
                f"study {name} {day.kind} day {day.day}", day.violations
            )
    for baseline, saved in savings(runs).items():
        figure(f"routing_study_km_saved_vs_{baseline}", saved, f"% (target >= 40, {days} days)")
    return violations
