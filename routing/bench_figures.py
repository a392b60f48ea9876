"""Printing benchmark figures and summarising samples."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def figure(name: str, value: float, unit: str) -> None:
    """One line per figure, flushed at once so a long run can be watched."""
    text = f"{value:.2f}" if isinstance(value, float) else str(value)
    print(f"{name} {text} {unit}", flush=True)


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: an actual sample, never an interpolation between two."""
    ordered = sorted(samples)
    rank = max(1, round(q / 100 * len(ordered)))
    return ordered[rank - 1]


def mean(samples: Sequence[float]) -> float:
    return statistics.fmean(samples) if samples else float("nan")


def report_violations(what: str, problems: Sequence[str]) -> int:
    for problem in problems:
        print(f"# checker: {what}: {problem}", flush=True)
    return len(problems)
