"""A short Herning study on a small town: its accounting agrees with the simulated ground truth
and with the plans, and every plan keeps every rule."""

from datetime import UTC, datetime, timedelta

import pytest

from tilsyn.cli import main
from tilsyn.routing.geo import Location
from tilsyn.routing.params import Stop
from tilsyn.routing.study import StudySetup, run_study
from tilsyn.routing.study_fleet import herning_services
from tilsyn.routing.study_forecast import FillTracker, KnownEvent, SensedContainer
from tilsyn.routing.study_report import figures, km_saved, study_json, study_table
from tilsyn.routing.study_sensor import hours_until, sensor_day
from tilsyn.routing.travel import CachedTravel, HaversineSource
from tilsyn.routing.waste_select import SelectionPolicy
from tilsyn.sim.clock import to_datetime

SMALL_TOWN = {
    "kinds": {"glass": {"count": 14}, "paper": {"count": 10}, "residual": {"count": 16}},
    "area": {"recycling_points": 8, "districts": 3},
}
# Warm-up from Thursday: two working days run each strategy before the counted Monday.
SETUP = StudySetup(days=4, history_days=4, warmup_days=4, seconds=0.3, seed=2, overrides=SMALL_TOWN)


@pytest.fixture(scope="module")
def runs():
    return run_study(SETUP)


def at(seconds: float) -> datetime:
    return to_datetime(seconds)


def test_every_plan_keeps_every_rule(runs):
    for run in runs.values():
        assert run.days, "no plans at all"
        assert all(d.violations == () for d in run.days)
        assert all(d.plan.feasible for d in run.days)
        assert figures(run).checker_violations == 0


def test_sensor_emptyings_are_exactly_the_planned_visits(runs):
    run = runs["sensor"]
    visited = sorted(
        (d.request.origin + timedelta(seconds=v.start), v.id)
        for d in run.days
        if d.counted
        for r in d.plan.routes
        for v in r.visits
        if v.kind == "container"
    )
    emptied = sorted((at(when), cid) for when, cid, _ in run.emptyings)
    assert len(visited) > 0
    assert [(round(w.timestamp()), c) for w, c in emptied] == [
        (round(w.timestamp()), c) for w, c in visited
    ]
    assert figures(run).containers_emptied == len(visited)


def test_fixed_plans_route_exactly_what_the_fixed_schedule_empties(runs):
    run = runs["fixed"]
    routed = sorted(cid for d in run.days if d.counted for cid in d.emptied)
    emptied = sorted(cid for _, cid, _ in run.emptyings)
    assert routed == emptied and routed
    for d in run.days:  # every planned container is mandatory, and served
        assert {s.id for s in d.request.stops} == set(d.emptied)
        assert all(s.mandatory for s in d.request.stops)


def test_km_and_hours_are_the_sums_over_the_routes(runs):
    for run in runs.values():
        counted = [d for d in run.days if d.counted]
        metres = sum(r.metres for d in counted for r in d.plan.routes)
        seconds = sum(r.return_time - r.departure for d in counted for r in d.plan.routes)
        assert figures(run).km == round(metres / 1000, 1)
        assert figures(run).truck_hours == round(seconds / 3600, 1)
        assert all(r.metres > 0 for d in counted for r in d.plan.routes if r.visits)


def test_fill_and_overflow_come_from_the_ground_truth(runs):
    for run in runs.values():
        truth, (first, last) = run.truth, run.window
        for when, cid, fill in run.emptyings:
            assert fill == pytest.approx(truth.fill_fraction(at(when - 1e-3))[cid], abs=1e-6)
        for cid, hours in run.overflow_hours.items():
            assert hours == pytest.approx(truth.overflow_hours(cid, at(first), at(last)))
        fills = [f for _, _, f in run.emptyings]
        assert figures(run).mean_fill_at_emptying == pytest.approx(
            sum(fills) / len(fills), abs=5e-4
        )


def test_both_strategies_start_from_the_same_town(runs):
    fixed, sensor = runs["fixed"].truth, runs["sensor"].truth
    first = at(runs["fixed"].window[0] - SETUP.warmup_days * 86_400)
    assert fixed.fill_fraction(first) == sensor.fill_fraction(first)


def test_report_has_both_strategies_and_the_saving(runs):
    report = study_json(SETUP, runs)
    assert set(report["strategies"]) == {"fixed", "sensor"}
    fixed_km = report["strategies"]["fixed"]["km"]
    sensor_km = report["strategies"]["sensor"]["km"]
    assert report["km_saved_percent"] == km_saved(runs)
    assert report["km_saved_percent"] == pytest.approx(
        100 * (fixed_km - sensor_km) / fixed_km, abs=0.1
    )
    table = study_table(SETUP, runs)
    assert "overflow-hours" in table and str(sensor_km) in table


def test_a_study_needs_days_and_positive_seconds():
    with pytest.raises(ValueError):
        StudySetup(days=0)
    with pytest.raises(ValueError):
        StudySetup(seconds=0)


def test_the_command_refuses_a_bad_budget(capsys):
    assert main(["route", "study", "--days", "0"]) == 2
    assert "tilsyn route study:" in capsys.readouterr().err


BIN = SensedContainer("c", Location("c", 56.1, 8.9), 1000, empty_mm=1000, full_mm=200)
HOUR = 3600.0
GLASS = herning_services()["glass"]


def test_forecast_follows_the_readings_and_resets_at_an_emptying():
    tracker = FillTracker([BIN])
    for h in range(0, 48, 4):  # 1 % per hour: 8 mm per hour
        tracker.read("c", h * HOUR, 1000 - 8 * h)
    [f] = tracker.forecasts(48 * HOUR, ["c"], GLASS, 24)
    assert f.rate == pytest.approx(0.01, rel=0.02)
    assert f.fill == pytest.approx(0.48, abs=0.02)
    tracker.emptied("c", 50 * HOUR)
    [after] = tracker.forecasts(51 * HOUR, ["c"], GLASS, 24)
    assert after.fill < 0.05 and after.rate == pytest.approx(0.01, rel=0.02)


def test_one_spurious_echo_does_not_make_a_container_full():
    tracker = FillTracker([BIN])
    for h in range(0, 24, 2):
        tracker.read("c", h * HOUR, 900)
    tracker.read("c", 24 * HOUR, 210)  # an echo off the wall
    [f] = tracker.forecasts(24 * HOUR, ["c"], GLASS, 24)
    assert f.fill < 0.2


def test_a_silent_sensor_is_assumed_to_fill_fast():
    tracker = FillTracker([BIN])
    for h in range(0, 48, 4):
        tracker.read("c", h * HOUR, 1000 - 4 * h)
    [heard] = tracker.forecasts(46 * HOUR, ["c"], GLASS, 24)
    [silent] = tracker.forecasts(96 * HOUR, ["c"], GLASS, 24)
    assert tracker.silent("c", 96 * HOUR) and not tracker.silent("c", 46 * HOUR)
    assert silent.rate == pytest.approx(2 * heard.rate)
    assert silent.overflow_risk(24) > heard.overflow_risk(24)


def test_a_known_event_nearby_raises_the_expected_rate_while_it_lasts():
    fair = KnownEvent("fair", 72 * HOUR, 96 * HOUR, Location("hall", 56.1, 8.9), 1500)
    far = SensedContainer("far", Location("far", 56.2, 8.9), 1000, empty_mm=1000, full_mm=200)
    tracker = FillTracker([BIN, far], [fair])
    for h in range(0, 48, 4):
        tracker.read("c", h * HOUR, 1000 - 4 * h)
        tracker.read("far", h * HOUR, 1000 - 4 * h)
    before = {f.container_id: f.rate for f in tracker.forecasts(48 * HOUR, ["c", "far"], GLASS, 12)}
    during = {f.container_id: f.rate for f in tracker.forecasts(48 * HOUR, ["c", "far"], GLASS, 39)}
    assert before["c"] == pytest.approx(before["far"])
    assert during["c"] == pytest.approx(3 * before["c"]) and during["far"] == before["far"]


def test_the_planner_hears_of_every_emptying(runs):
    for run in runs.values():
        last_plan = run.window[1] - 86_400  # the fixed plan's last day is not reported back
        truth = sorted((round(t), c) for t, c in run.truth.emptyings() if t < last_plan)
        heard = sorted((round(t), c) for t, c in run.planner.heard if t < last_plan)
        assert heard == truth and truth


MONDAY = 4  # local day number of Monday 5 January 1970


def test_horizons_run_to_the_end_of_the_next_shift():
    assert hours_until(MONDAY, range(5), 15.0) == 24 + 15
    assert hours_until(MONDAY + 4, range(5), 15.0) == 3 * 24 + 15  # Friday to Monday
    assert hours_until(MONDAY, (0,), 15.0) == 7 * 24 + 15


def test_on_its_day_a_container_goes_if_it_cannot_last_until_the_next():
    near = SensedContainer("b", Location("b", 56.1, 8.91), 1000, empty_mm=1000, full_mm=200)
    tracker = FillTracker([BIN, near])
    now = MONDAY * 86_400.0
    for h in range(48, 0, -4):  # 0.4 % per hour, 60 % full now
        tracker.read("c", now - h * HOUR, 1000 - 800 * (0.6 - 0.004 * h))
        tracker.read("b", now - h * HOUR, 1000 - 800 * (0.6 - 0.004 * h))
    looks = {"c": (0,), "b": (1,)}  # c's day is Monday, b's Tuesday
    policy = SelectionPolicy(must_above=0.2, consider_above=0.05)
    origin = datetime(1970, 1, 5, tzinfo=UTC)
    travel = CachedTravel(HaversineSource())
    day = sensor_day(origin, MONDAY, tracker, looks, GLASS, policy, travel, Stop(0.5), 0)
    assert [(s.id, s.mandatory) for s in day.request.stops] == [("c", True)]
    assert day.emptied == ["c"] and day.plan.feasible
