"""A patient's own green / yellow / red thresholds, as set by staff in digital home follow-up.

Norwegian practice (DOMAIN.md §5): thresholds come from the patient's baseline and the
self-management plan agreed with the GP, not from population norms. Yellow means "call the
patient", red means "act on the plan". Each limit is inclusive: a value on a green limit is green,
a value on a yellow limit is yellow. A limit may be left open (None) where one side does not
matter for this patient, such as an upper limit for SpO2.
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
        if self.green_low is None and self.yellow_low is not None:
            raise ValueError("green_low is open, so yellow_low must be open too")
        if self.green_high is None and self.yellow_high is not None:
            raise ValueError("green_high is open, so yellow_high must be open too")
        limits = (self.yellow_low, self.green_low, self.green_high, self.yellow_high)
        present = [limit for limit in limits if limit is not None]
        if present != sorted(present):
            raise ValueError(
                "limits must satisfy yellow_low <= green_low <= green_high <= yellow_high"
            )
        return self


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
    colours = sorted((e.colour for e in evaluations), key=COLOUR_RANK.__getitem__)
    return colours[0] if colours else None


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
