"""NEWS2 against the chart in DOMAIN.md §5, written out here from the document, not the code.

Each row is (lowest printed value, highest printed value, points), None for an open end. The
chart prints whole numbers (tenths for temperature); a reading between two printed values
belongs to the band above the lower one, so every real reading scores as its value rounded *up*
to the chart's resolution would.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tilsyn.platform.clinical.news2 import score
from tilsyn.platform.clinical.vitals import Vitals

Row = tuple[float | None, float | None, int]

RESPIRATION: list[Row] = [(None, 8, 3), (9, 11, 1), (12, 20, 0), (21, 24, 2), (25, None, 3)]
SPO2_SCALE_1: list[Row] = [(None, 91, 3), (92, 93, 2), (94, 95, 1), (96, None, 0)]
SPO2_SCALE_2_AIR: list[Row] = [(None, 83, 3), (84, 85, 2), (86, 87, 1), (88, 92, 0), (93, None, 0)]
SPO2_SCALE_2_O2: list[Row] = [
    (None, 83, 3),
    (84, 85, 2),
    (86, 87, 1),
    (88, 92, 0),
    (93, 94, 1),
    (95, 96, 2),
    (97, None, 3),
]
SYSTOLIC: list[Row] = [(None, 90, 3), (91, 100, 2), (101, 110, 1), (111, 219, 0), (220, None, 3)]
PULSE: list[Row] = [
    (None, 40, 3),
    (41, 50, 1),
    (51, 90, 0),
    (91, 110, 1),
    (111, 130, 2),
    (131, None, 3),
]
TEMPERATURE: list[Row] = [
    (None, 35.0, 3),
    (35.1, 36.0, 1),
    (36.1, 38.0, 0),
    (38.1, 39.0, 1),
    (39.1, None, 2),
]

# parameter in the result, Vitals field, extra fields, chart rows, resolution, validator range
CASES = [
    ("respiration_rate", "respiration_rate", {}, RESPIRATION, 1, (0, 100)),
    ("spo2", "spo2", {}, SPO2_SCALE_1, 1, (0, 100)),
    ("spo2", "spo2", {"spo2_scale": 2, "on_oxygen": False}, SPO2_SCALE_2_AIR, 1, (0, 100)),
    ("spo2", "spo2", {"spo2_scale": 2, "on_oxygen": True}, SPO2_SCALE_2_O2, 1, (0, 100)),
    ("systolic_bp", "systolic_bp", {}, SYSTOLIC, 1, (0, 400)),
    ("pulse", "pulse", {}, PULSE, 1, (0, 400)),
    ("temperature", "temperature_c", {}, TEMPERATURE, Decimal("0.1"), (10, 50)),
]
IDS = ["rr", "spo2-1", "spo2-2-air", "spo2-2-oxygen", "sbp", "pulse", "temp"]


def chart_points(rows: list[Row], printed: float) -> int:
    """The chart's row holding a printed value (one the chart's resolution can show)."""
    for low, high, points in rows:
        if (low is None or printed >= low) and (high is None or printed <= high):
            return points
    raise AssertionError(f"{printed} is in no row of the chart")


def printed_values(resolution: int | Decimal, limits: tuple[int, int]) -> list[float]:
    low, high = limits
    steps = int((high - low) / resolution)
    return [float(low + resolution * i) for i in range(steps + 1)]


def points(parameter: str, field: str, extra: dict[str, object], value: float) -> int:
    return score(Vitals.model_validate({field: value, **extra})).points[parameter]


@pytest.mark.parametrize(
    ("parameter", "field", "extra", "rows", "resolution", "limits"), CASES, ids=IDS
)
def test_every_printed_value_scores_as_the_chart_says(
    parameter, field, extra, rows, resolution, limits
):
    for value in printed_values(resolution, limits):
        assert points(parameter, field, extra, value) == chart_points(rows, value), value


@pytest.mark.parametrize(
    ("parameter", "field", "extra", "rows", "resolution", "limits"), CASES, ids=IDS
)
@given(fraction=st.floats(min_value=0, max_value=1))
def test_readings_between_printed_values_score_as_the_next_printed_value_up(
    parameter, field, extra, rows, resolution, limits, fraction
):
    value = limits[0] + fraction * (limits[1] - limits[0])
    up = math.ceil(Decimal(value) / Decimal(resolution)) * Decimal(resolution)
    assert points(parameter, field, extra, value) == chart_points(rows, float(up))


def test_air_or_oxygen_and_consciousness_rows():
    assert score(Vitals(on_oxygen=False)).points == {"air_or_oxygen": 0}
    assert score(Vitals(on_oxygen=True)).points == {"air_or_oxygen": 2}
    assert score(Vitals(consciousness="A")).points == {"consciousness": 0}
    for level in "CVPU":
        assert score(Vitals(consciousness=level)).points == {"consciousness": 3}
