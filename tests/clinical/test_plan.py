"""Per-patient green / yellow / red thresholds: inclusive limits, open sides, reasons."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from tilsyn.platform.clinical.plan import (
    PatientPlan,
    Threshold,
    evaluate,
    require_red_limits,
    worst_colour,
)

SPO2 = Threshold(kind="spo2", green_low=94, green_high=None, yellow_low=90, yellow_high=None)
SYSTOLIC = Threshold(
    kind="systolic_bp", green_low=110, green_high=150, yellow_low=100, yellow_high=170
)


@pytest.mark.parametrize(
    ("value", "colour"),
    [(89.9, "red"), (90, "yellow"), (93.9, "yellow"), (94, "green"), (100, "green")],
)
def test_one_sided_spo2_plan(value, colour):
    assert evaluate(SPO2, value).colour == colour


@pytest.mark.parametrize(
    ("value", "colour"),
    [
        (99, "red"),
        (100, "yellow"),
        (109, "yellow"),
        (110, "green"),
        (150, "green"),
        (151, "yellow"),
        (170, "yellow"),
        (170.5, "red"),
    ],
)
def test_two_sided_plan_limits_are_inclusive(value, colour):
    assert evaluate(SYSTOLIC, value).colour == colour


def test_reasons_name_the_value_the_limit_and_the_plan():
    plan = "of this patient's plan"
    assert evaluate(SPO2, 88).reason == f"SpO2 88 % below the yellow limit 90 % {plan}"
    assert evaluate(SPO2, 92).reason == f"SpO2 92 % below the green limit 94 % {plan}"
    assert evaluate(SPO2, 97).reason == (
        "SpO2 97 % within the green range ≥ 94 % of this patient's plan"
    )
    assert evaluate(SYSTOLIC, 182).reason == (
        "Systolic BP 182 mmHg above the yellow limit 170 mmHg of this patient's plan"
    )
    assert evaluate(SYSTOLIC, 160).reason == (
        "Systolic BP 160 mmHg above the green limit 150 mmHg of this patient's plan"
    )
    assert "within the green range 110–150 mmHg" in evaluate(SYSTOLIC, 120).reason


def test_an_open_side_is_never_judged():
    weight = Threshold(
        kind="body_weight", green_low=None, green_high=82, yellow_low=None, yellow_high=85
    )
    assert evaluate(weight, 40).colour == "green"
    assert evaluate(weight, 83).colour == "yellow"
    assert evaluate(weight, 140).colour == "red"


def test_a_red_limit_on_the_green_limit_leaves_no_yellow_on_that_side():
    spo2 = Threshold(kind="spo2", green_low=94, green_high=None, yellow_low=94, yellow_high=None)
    assert evaluate(spo2, 94).colour == "green"
    assert evaluate(spo2, 93.9).colour == "red"


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (
            (94, None, None, None),
            "lower side: green_low 94 is set but yellow_low (the red limit) is open, so no value"
            " below it could ever be red; set the red limit below 94 too, or leave the lower"
            " side open",
        ),
        (
            (None, 82, None, None),
            "upper side: green_high 82 is set but yellow_high (the red limit) is open, so no"
            " value above it could ever be red; set the red limit above 82 too, or leave the"
            " upper side open",
        ),
        (
            (110, 150, None, 170),
            "lower side: green_low 110 is set but yellow_low (the red limit) is open",
        ),
        (
            (110, 150, 100, None),
            "upper side: green_high 150 is set but yellow_high (the red limit) is open",
        ),
    ],
)
def test_a_green_limit_without_a_red_limit_on_its_side_is_refused(limits, message):
    """Such a side could never be red: SpO2 70 with only "green from 94" would be yellow.
    Refused where set; one saved before the rule still loads and keeps its meaning."""
    green_low, green_high, yellow_low, yellow_high = limits
    saved = Threshold(
        kind="spo2",
        green_low=green_low,
        green_high=green_high,
        yellow_low=yellow_low,
        yellow_high=yellow_high,
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        require_red_limits(saved)


@pytest.mark.parametrize(
    "limits",
    [
        (94, None, 95, None),  # yellow low above green low
        (110, 150, 100, 140),  # yellow high below green high
        (150, 110, 100, 170),  # green range reversed
        (None, 150, 100, 170),  # green open below but yellow closed
        (110, None, 100, 170),  # green open above but yellow closed
    ],
)
def test_yellow_must_contain_green(limits):
    green_low, green_high, yellow_low, yellow_high = limits
    with pytest.raises(ValidationError):
        Threshold(
            kind="systolic_bp",
            green_low=green_low,
            green_high=green_high,
            yellow_low=yellow_low,
            yellow_high=yellow_high,
        )


def test_unknown_kind_and_non_finite_values_are_refused():
    with pytest.raises(ValidationError):
        Threshold(kind="mood", green_low=1, green_high=2, yellow_low=0, yellow_high=3)
    with pytest.raises(ValueError, match="finite"):
        evaluate(SPO2, float("nan"))


def test_worst_colour_of_the_latest_values():
    plan = PatientPlan(thresholds={"spo2": SPO2, "systolic_bp": SYSTOLIC})
    evaluations = plan.evaluate_latest({"spo2": 92, "systolic_bp": 120, "body_weight": 80})
    assert [e.kind for e in evaluations] == ["spo2", "systolic_bp"]  # no plan for weight
    assert worst_colour(evaluations) == "yellow"
    assert worst_colour(plan.evaluate_latest({"spo2": 85, "systolic_bp": 160})) == "red"
    assert worst_colour(plan.evaluate_latest({"spo2": 97})) == "green"
    assert worst_colour([]) is None
