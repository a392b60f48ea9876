"""NEWS2 cut-offs and their neighbours, bands and responses, missing parameters, refused input."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tilsyn.platform.clinical.news2 import PARAMETERS, score
from tilsyn.platform.clinical.vitals import Vitals


def single(**fields: object) -> int:
    """The points of the one parameter the fields measure (oxygen flags ride along)."""
    points = score(Vitals.model_validate(fields)).points
    points.pop("air_or_oxygen", None)
    (value,) = points.values()
    return value


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0, 3),
        (8, 3),
        (8.5, 1),
        (9, 1),
        (11, 1),
        (11.5, 0),
        (12, 0),
        (20, 0),
        (20.5, 2),
        (21, 2),
        (24, 2),
        (24.5, 3),
        (25, 3),
        (60, 3),
    ],
)
def test_respiration_rate_cut_offs(rate, expected):
    assert single(respiration_rate=rate) == expected


@pytest.mark.parametrize(
    ("temperature", "expected"),
    [
        (34.9, 3),
        (35.0, 3),
        (35.05, 1),
        (35.1, 1),
        (36.0, 1),
        (36.05, 0),
        (36.1, 0),
        (38.0, 0),
        (38.05, 1),
        (38.1, 1),
        (39.0, 1),
        (39.05, 2),
        (39.1, 2),
        (41.0, 2),
    ],
)
def test_temperature_cut_offs(temperature, expected):
    assert single(temperature_c=temperature) == expected


@pytest.mark.parametrize(
    ("systolic", "expected"),
    [
        (90, 3),
        (90.5, 2),
        (91, 2),
        (100, 2),
        (100.5, 1),
        (101, 1),
        (110, 1),
        (110.5, 0),
        (111, 0),
        (219, 0),
        (219.5, 3),
        (220, 3),
    ],
)
def test_systolic_cut_offs(systolic, expected):
    assert single(systolic_bp=systolic) == expected


@pytest.mark.parametrize(
    ("pulse", "expected"),
    [
        (40, 3),
        (40.5, 1),
        (41, 1),
        (50, 1),
        (50.5, 0),
        (51, 0),
        (90, 0),
        (90.5, 1),
        (91, 1),
        (110, 1),
        (110.5, 2),
        (111, 2),
        (130, 2),
        (130.5, 3),
        (131, 3),
    ],
)
def test_pulse_cut_offs(pulse, expected):
    assert single(pulse=pulse) == expected


@pytest.mark.parametrize(
    ("spo2", "expected"),
    [(91, 3), (91.5, 2), (92, 2), (93, 2), (93.5, 1), (94, 1), (95, 1), (95.5, 0), (96, 0)],
)
@pytest.mark.parametrize("on_oxygen", [None, False, True])
def test_scale_1_ignores_oxygen_for_the_saturation_itself(spo2, expected, on_oxygen):
    assert single(spo2=spo2, on_oxygen=on_oxygen) == expected


@pytest.mark.parametrize(
    ("spo2", "on_air", "on_oxygen"),
    [
        (83, 3, 3),
        (83.5, 2, 2),
        (85, 2, 2),
        (85.5, 1, 1),
        (87, 1, 1),
        (87.5, 0, 0),
        (88, 0, 0),
        (92, 0, 0),
        (92.5, 0, 1),
        (93, 0, 1),
        (94, 0, 1),
        (94.5, 0, 2),
        (95, 0, 2),
        (96, 0, 2),
        (96.5, 0, 3),
        (97, 0, 3),
        (100, 0, 3),
    ],
)
def test_scale_2_on_air_and_on_oxygen(spo2, on_air, on_oxygen):
    assert single(spo2=spo2, spo2_scale=2, on_oxygen=False) == on_air
    assert single(spo2=spo2, spo2_scale=2, on_oxygen=True) == on_oxygen


def test_scale_2_above_target_cannot_be_scored_without_knowing_about_oxygen():
    unknown = score(Vitals(spo2=95, spo2_scale=2))
    assert unknown.points == {}
    assert unknown.missing[:3] == ["respiration_rate", "spo2", "air_or_oxygen"]
    low = score(Vitals(spo2=86, spo2_scale=2))
    assert low.points == {"spo2": 1} and "spo2" not in low.missing
    assert low.scale == 2


NORMAL = {
    "respiration_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 125,
    "pulse": 70,
    "consciousness": "A",
    "temperature_c": 37.0,
}


@pytest.mark.parametrize(
    ("changes", "total", "band"),
    [
        ({}, 0, "routine"),
        ({"pulse": 95}, 1, "low"),
        ({"pulse": 95, "temperature_c": 38.5, "spo2": 94, "respiration_rate": 10}, 4, "low"),
        ({"consciousness": "C"}, 3, "low-medium"),
        ({"systolic_bp": 85, "pulse": 95}, 4, "low-medium"),
        ({"pulse": 120, "on_oxygen": True, "temperature_c": 38.5}, 5, "medium"),
        ({"respiration_rate": 26, "temperature_c": 39.5}, 5, "medium"),
        ({"respiration_rate": 26, "pulse": 120, "temperature_c": 38.5}, 6, "medium"),
        ({"respiration_rate": 26, "pulse": 120, "temperature_c": 39.5}, 7, "high"),
        ({"consciousness": "U", "systolic_bp": 80, "pulse": 140, "spo2": 85}, 12, "high"),
    ],
)
def test_bands_and_responses(changes, total, band):
    result = score(Vitals.model_validate(NORMAL | changes))
    assert (result.total, result.band, result.complete, result.missing) == (total, band, True, [])
    assert result.total == sum(result.points.values())
    expected_words = {
        "routine": "Routine",
        "low": "registered nurse assesses",
        "low-medium": "urgent ward review",
        "medium": "urgent response",
        "high": "emergency response",
    }
    assert expected_words[band] in result.response


def test_nothing_measured_is_routine_but_never_complete():
    result = score(Vitals())
    assert (result.total, result.band, result.complete) == (0, "routine", False)
    assert result.missing == list(PARAMETERS) and len(PARAMETERS) == 7


def test_a_home_kit_reading_lists_what_it_lacks():
    result = score(Vitals(spo2=93, systolic_bp=105, pulse=112, temperature_c=38.3))
    assert result.points == {"spo2": 2, "systolic_bp": 1, "pulse": 2, "temperature": 1}
    assert result.missing == ["respiration_rate", "air_or_oxygen", "consciousness"]
    assert (result.total, result.band, result.complete) == (6, "medium", False)


@pytest.mark.parametrize(
    "fields",
    [
        {"respiration_rate": -1},
        {"spo2": 100.5},
        {"spo2": -3},
        {"systolic_bp": -10},
        {"pulse": 401},
        {"temperature_c": 60},
        {"temperature_c": float("nan")},
        {"pulse": float("inf")},
        {"consciousness": "X"},
        {"spo2_scale": 3},
        {"heart_rate": 70},
    ],
)
def test_impossible_values_are_refused(fields):
    with pytest.raises(ValidationError):
        Vitals.model_validate(fields)
