"""A patient's own green / yellow / red thresholds, as set by staff in digital home follow-up.

Norwegian practice (DOMAIN.md §5): thresholds come from the patient's baseline and the
self-management plan agreed with the GP, not from population norms. Yellow means "call the
patient", red means "act on the plan". Each limit is inclusive: a value on a green limit is green,
a value on a yellow limit is yellow, so values *below* `yellow_low` and *above* `yellow_high` are
red (the screen labels them "Red below" and "Red above"). A side may be left open (both limits
None) where it does not matter for this patient, such as the upper side for SpO2. A red limit needs
the green limit on its side. A green limit without a red limit beyond it would make that side
yellow however far a value goes, never red: `require_red_limits` refuses it where thresholds are
set.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

Kind = Literal[
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "spo2",
    "body_temperature",
    "respiratory_rate",
    "body_weight",
    "blood_glucose",
]
Colour = Literal["green", "yellow", "red"]
COLOUR_RANK: dict[Colour, int] = {"red": 0, "yellow": 1, "green": 2}

# (label, unit) as a nurse reads them in a reason.
LABELS: dict[Kind, tuple[str, str]] = {
    "systolic_bp": ("Systolic BP", "mmHg"),
    "diastolic_bp": ("Diastolic BP", "mmHg"),
    "heart_rate": ("Heart rate", "/min"),
    "spo2": ("SpO2", "%"),
    "body_temperature": ("Temperature", "°C"),
    "respiratory_rate": ("Respiratory rate", "/min"),
    "body_weight": ("Weight", "kg"),
    "blood_glucose": ("Blood glucose", "mmol/L"),
}


class Threshold(BaseModel):
    """Green range inside the yellow range; anything outside yellow is red."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    kind: Kind
    green_low: float | None
    green_high: float | None
    yellow_low: float | None
    yellow_high: float | None

    @model_validator(mode="after")
    def _yellow_contains_green(self) -> Threshold:
        _no_red_without_green("lower", "green_low", self.green_low, "yellow_low", self.yellow_low)
        _no_red_without_green(
            "upper", "green_high", self.green_high, "yellow_high", self.yellow_high
        )
        limits = (self.yellow_low, self.green_low, self.green_high, self.yellow_high)
        present = [limit for limit in limits if limit is not None]
        if present != sorted(present):
            raise ValueError(
                "limits must satisfy yellow_low <= green_low <= green_high <= yellow_high"
                " (red below <= green from <= green up to <= red above)"
            )
        return self


def require_red_limits(threshold: Threshold) -> None:
    """Refuse a side with a green limit but no red limit beyond it: a value past it would be
    yellow however far it went, never red. Checked where thresholds are set (the API), not
    where they are read: a threshold saved before this rule keeps its meaning."""
    t = threshold
    for side, beyond, green_name, green, yellow_name, yellow in (
        ("lower", "below", "green_low", t.green_low, "yellow_low", t.yellow_low),
        ("upper", "above", "green_high", t.green_high, "yellow_high", t.yellow_high),
    ):
        if green is not None and yellow is None:
            raise ValueError(
                f"{side} side: {green_name} {green:g} is set but {yellow_name} (the red limit)"
                f" is open, so no value {beyond} it could ever be red; set the red limit"
                f" {beyond} {green:g} too, or leave the {side} side open"
            )


def _no_red_without_green(
    side: str, green_name: str, green: float | None, yellow_name: str, yellow: float | None
) -> None:
    if green is None and yellow is not None:
        raise ValueError(
            f"{side} side: {yellow_name} {yellow:g} (the red limit) is set but {green_name} is"
            f" open; set the green limit too, or leave the {side} side open"
        )


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Kind
    value: float
    colour: Colour
    reason: str


def evaluate(threshold: Threshold, value: float) -> Evaluation:
    """The colour of one value, with the limit it crossed, in words a nurse can act on."""
    if not math.isfinite(value):
        raise ValueError(f"{threshold.kind} value must be a finite number, got {value}")
    t = threshold
    label, unit = LABELS[t.kind]
    colour: Colour
    if _within(value, t.green_low, t.green_high):
        colour, detail = (
            "green",
            f"within the green range {_range(t.green_low, t.green_high, unit)}",
        )
    elif _within(value, t.yellow_low, t.yellow_high):
        colour, detail = "yellow", _crossed("green", value, t.green_low, t.green_high, unit)
    else:
        colour, detail = "red", _crossed("yellow", value, t.yellow_low, t.yellow_high, unit)
    reason = f"{label} {_amount(value, unit)} {detail} of this patient's plan"
    return Evaluation(kind=t.kind, value=value, colour=colour, reason=reason)


class PatientPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    thresholds: dict[Kind, Threshold]

    def evaluate_latest(self, latest: Mapping[Kind, float]) -> list[Evaluation]:
        """The latest value of every kind the plan sets limits for; other kinds are skipped."""
        return [evaluate(self.thresholds[k], v) for k, v in latest.items() if k in self.thresholds]


def worst_colour(evaluations: Iterable[Evaluation]) -> Colour | None:
    """Red before yellow before green; None when there is nothing to judge."""
    return worst(e.colour for e in evaluations)


def worst(colours: Iterable[Colour | None]) -> Colour | None:
    """Red before yellow before green; None (nothing judged) counts for nothing."""
    ranked = sorted((c for c in colours if c is not None), key=COLOUR_RANK.__getitem__)
    return ranked[0] if ranked else None


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _crossed(
    range_name: str, value: float, low: float | None, high: float | None, unit: str
) -> str:
    """Which limit of a range the value lies beyond; the caller knows it lies outside."""
    if low is not None and value < low:
        return f"below the {range_name} limit {_amount(low, unit)}"
    if high is not None and value > high:
        return f"above the {range_name} limit {_amount(high, unit)}"
    raise ValueError(f"{value} lies within the {range_name} range")


def _range(low: float | None, high: float | None, unit: str) -> str:
    if low is None:
        return "with no limits" if high is None else f"≤ {_amount(high, unit)}"
    return f"≥ {_amount(low, unit)}" if high is None else f"{low:g}–{_amount(high, unit)}"


def _amount(value: float, unit: str) -> str:
    return f"{value:g} {unit}"
