"""The container physics on its own, as a routing study uses it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tilsyn.sim import load_scenario
from tilsyn.sim.physics.fill import FillModel
from tilsyn.sim.waste_study import WasteStudy

HOUR = 3600.0


@pytest.fixture(scope="module")
def model():
    scenario = load_scenario("herning", 2)
    fill = FillModel(
        scenario.containers, scenario.waste_kinds, scenario.tourist_peaks, scenario.timezone, 2
    )
    return scenario, fill


def test_deposits_add_up_over_any_split_of_time(model):
    scenario, fill = model
    t0 = scenario.default_start.timestamp()
    everyone = np.arange(len(scenario.containers))
    whole = fill.deposited(everyone, t0, t0 + 10 * 24 * HOUR)
    split = fill.deposited(everyone, t0, t0 + 77 * HOUR) + fill.deposited(
        everyone, t0 + 77 * HOUR, t0 + 10 * 24 * HOUR
    )
    assert np.allclose(whole, split)
    assert (fill.deposited(everyone, t0, t0 + HOUR) >= 0).all()


def test_glass_only_arrives_by_day(model):
    scenario, fill = model
    glass = next(i for i, c in enumerate(scenario.containers) if c.waste_kind == "glass")
    night = datetime(2025, 3, 5, 23, 0, tzinfo=ZoneInfo("Europe/Copenhagen")).timestamp()
    assert fill.deposited(glass, night, night + 7 * HOUR)[0] == 0.0
    assert fill.deposited(glass, night + 9 * HOUR, night + 20 * HOUR)[0] > 0.0


def test_the_container_is_full_when_the_model_says(model):
    scenario, fill = model
    t0 = scenario.default_start.timestamp()
    for index in (0, 400, 900):
        capacity = float(fill.capacity[index])
        full_at = fill.time_to_level(index, 100.0, t0, capacity)
        assert fill.fill_after(index, 100.0, t0, full_at)[0] == pytest.approx(capacity, rel=1e-6)
        assert fill.fill_after(index, 100.0, t0, full_at - 600)[0] < capacity
        assert fill.overflow_hours(index, 100.0, t0, full_at + 5 * HOUR) == pytest.approx(5.0)
        assert fill.overflow_hours(index, 100.0, t0, full_at - HOUR) == 0.0


def test_days_across_daylight_saving_change_keep_their_deposits(model):
    scenario, fill = model
    zone = ZoneInfo(scenario.timezone)
    short = datetime(2025, 3, 30, tzinfo=zone).timestamp()  # 23 hours long
    everyone = np.arange(len(scenario.containers))
    day = fill.deposited(everyone, short, datetime(2025, 3, 31, tzinfo=zone).timestamp())
    day_number = fill.calendar.day_of(short + HOUR)
    assert np.allclose(day, fill.demand.on_day(day_number))


def test_a_study_counts_overflow_hours_from_the_ground_truth():
    scenario = load_scenario("herning", 2)
    start = scenario.default_start
    study = WasteStudy(scenario, start, collection="none")
    study.advance(start + timedelta(days=10))
    fractions = study.fill_fraction(start + timedelta(days=10))
    fullest = max(fractions, key=fractions.get)
    assert fractions[fullest] == 1.0
    hours = study.overflow_hours(fullest, start, start + timedelta(days=10))
    assert 0 < hours < 240
    study.empty(fullest, start + timedelta(days=10))
    assert study.fill_fraction(start + timedelta(days=10, hours=1))[fullest] < 0.05
    assert (
        study.overflow_hours(
            fullest, start + timedelta(days=10), start + timedelta(days=10, hours=1)
        )
        == 0.0
    )
