"""A short Herning study on a small town: its accounting agrees with the simulated ground truth
and with the plans, and every plan keeps every rule."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tilsyn.cli import main
from tilsyn.routing.collection_fleet import herning_services
from tilsyn.routing.geo import Location
from tilsyn.routing.params import Stop
from tilsyn.routing.study import STUDY_SOLUTIONS, StudySetup, _works, budget, run_study
from tilsyn.routing.study_forecast import FillTracker, KnownEvent, SensedContainer
from tilsyn.routing.study_report import figures, km_saved, study_json, study_table
from tilsyn.routing.study_sensor import SensorRules, sensor_day
from tilsyn.routing.study_sized import Rhythm, SizingRule, rhythms, size_schedule
from tilsyn.routing.travel import CachedTravel, HaversineSource
from tilsyn.routing.waste_select import SelectionPolicy
from tilsyn.sim.clock import LocalCalendar, to_datetime, weekday_of_day
from tilsyn.sim.scenario.specs_waste import CollectionSlot

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


@pytest.mark.parametrize("strategy", ["sized", "sensor"])
def test_emptyings_are_exactly_the_planned_visits(runs, strategy):
    run = runs[strategy]
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


def test_all_strategies_start_from_the_same_town(runs):
    first = at(runs["fixed"].window[0] - SETUP.warmup_days * 86_400)
    fixed = runs["fixed"].truth.fill_fraction(first)
    assert runs["sized"].truth.fill_fraction(first) == fixed
    assert runs["sensor"].truth.fill_fraction(first) == fixed


def test_report_has_all_strategies_and_the_savings_against_each_baseline(runs):
    report = study_json(SETUP, runs)
    assert set(report["strategies"]) == {"fixed", "sized", "sensor"}
    assert set(report["km_saved_percent"]) == {"fixed", "sized"}
    assert report["sizing_slowest_weeks"] == SETUP.sizing.slowest_weeks == 4
    sensor_km = report["strategies"]["sensor"]["km"]
    for baseline in ("fixed", "sized"):
        baseline_km = report["strategies"][baseline]["km"]
        assert report["km_saved_percent"][baseline] == km_saved(runs, baseline)
        assert report["km_saved_percent"][baseline] == pytest.approx(
            100 * (baseline_km - sensor_km) / baseline_km, abs=0.1
        )
    table = study_table(SETUP, runs)
    assert "overflow-hours" in table and str(sensor_km) in table
    assert "against fixed" in table and "against sized" in table


def test_sized_plans_route_exactly_the_due_containers(runs):
    run = runs["sized"]
    assert run.schedule is not None
    kinds = {c.container_id: c.waste_kind for c in run.truth.scenario.containers}
    for d in run.days:
        due = run.schedule.due_on(d.day, (cid for cid, kind in kinds.items() if kind == d.kind))
        assert sorted(s.id for s in d.request.stops) == due
        assert all(s.mandatory for s in d.request.stops)
        assert sorted(d.emptied) == due
    assert any(d.emptied for d in run.days if d.counted)


def test_the_sized_schedule_empties_each_container_at_least_as_its_rhythm_says(runs):
    run = runs["sized"]
    assert run.schedule is not None
    calendar = LocalCalendar(run.truth.scenario.timezone)
    first, last = (calendar.day_of(s) for s in run.window)
    emptied = {(calendar.day_of(when), cid) for when, cid, _ in run.emptyings}
    due = {
        (day, cid)
        for cid, rhythm in run.schedule.rhythm.items()
        for day in range(first, last)
        if rhythm.due(day)
    }
    assert due and due <= emptied
    # and never less often than the scenario's own schedule
    slots = run.truth.scenario.collection.slots
    assert all(run.schedule.rhythm[s.container_id] in rhythms(s) for s in slots)


def test_a_study_needs_days_and_positive_seconds():
    with pytest.raises(ValueError):
        StudySetup(days=0)
    with pytest.raises(ValueError):
        StudySetup(seconds=0)
    with pytest.raises(ValueError):
        StudySetup(solutions=0)


def test_a_solution_budget_gives_the_same_study_on_any_run():
    """No wall clock in the search: the routes, the emptyings and the overflow repeat exactly."""
    counted = replace(SETUP, solutions=40)
    assert counted.stop.seconds == math.inf and counted.stop.solutions == 40
    first, second = (run_study(counted, strategies=("sensor",))["sensor"] for _ in range(2))
    assert [(d.kind, d.day, d.plan.routes, d.plan.dropped) for d in first.days] == [
        (d.kind, d.day, d.plan.routes, d.plan.dropped) for d in second.days
    ]
    assert any(d.plan.routes for d in first.days)
    assert first.emptyings == second.emptyings
    assert first.overflow_hours == second.overflow_hours
    assert "40 solutions per plan" in study_table(counted, {"sensor": first})
    assert study_json(counted, {"sensor": first})["solutions_per_plan"] == 40


def test_the_command_searches_by_solutions_unless_seconds_are_asked_for():
    assert budget(None, None) == {"solutions": STUDY_SOLUTIONS}
    assert budget(None, 50) == {"solutions": 50}
    assert budget(1.5, None) == {"seconds": 1.5}
    with pytest.raises(SystemExit):
        main(["route", "study", "--seconds", "1", "--solutions", "5"])


def test_the_command_refuses_a_bad_budget(capsys):
    assert main(["route", "study", "--days", "0"]) == 2
    assert "tilsyn route study:" in capsys.readouterr().err
    assert main(["route", "study", "--solutions", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
    assert main(["route", "study", "--sizing-z", "-1"]) == 2
    assert "must not be negative" in capsys.readouterr().err


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


def _tracker_at(day: int, fills: dict[str, float], rate_per_h: float) -> FillTracker:
    """Containers near one another that have filled at `rate_per_h` for two days and hold
    `fills` at `day`'s midnight."""
    containers = [
        SensedContainer(cid, Location(cid, 56.1 + n / 1000, 8.9), 1000, 1000, 200)
        for n, cid in enumerate(fills)
    ]
    tracker, now = FillTracker(containers), day * 86_400.0
    for h in range(48, 0, -4):
        for cid, fill in fills.items():
            tracker.read(cid, now - h * HOUR, 1000 - 800 * (fill - rate_per_h * h))
    return tracker


def _day(tracker: FillTracker, day: int, looks: dict[str, tuple[int, ...]]):
    rules = SensorRules(looks, SelectionPolicy(must_above=0.05, consider_above=0.05), 0.5, 0.1)
    origin = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)
    return sensor_day(
        origin, day, tracker, rules, GLASS, CachedTravel(HaversineSource()), Stop(0.5), 0
    )


def _risks(tracker: FillTracker, day: int, horizon_h: float) -> dict[str, float]:
    found = tracker.forecasts(day * 86_400.0, tracker.containers, GLASS, horizon_h)
    return {f.container_id: f.overflow_risk(horizon_h) for f in found}


def test_on_its_day_a_container_goes_if_it_cannot_last_until_the_next():
    tracker = _tracker_at(MONDAY, {"c": 0.6, "b": 0.6}, 0.004)
    day = _day(tracker, MONDAY, {"c": (0,), "b": (1,)})  # c's day is Monday, b's Tuesday
    assert [(s.id, s.mandatory) for s in day.request.stops] == [("c", True)]
    assert day.emptied == ["c"] and day.plan.feasible


def test_no_truck_goes_out_for_a_small_risk_but_one_out_anyway_takes_it_along():
    wednesday = {"likely": (2,), "maybe": (2,), "calm": (2,)}  # looked at on Wednesdays
    risks = _risks(
        _tracker_at(MONDAY, {"likely": 0.9, "maybe": 0.8, "calm": 0.3}, 0.004), MONDAY, 39
    )
    assert risks["likely"] > 0.5 and 0.1 < risks["maybe"] < 0.5 and risks["calm"] < 0.01
    quiet = _day(
        _tracker_at(MONDAY, {"maybe": 0.8, "calm": 0.3}, 0.004),
        MONDAY,
        {"maybe": (2,), "calm": (2,)},
    )
    assert quiet.request.stops == () and quiet.plan.km == 0
    out = _day(
        _tracker_at(MONDAY, {"likely": 0.9, "maybe": 0.8, "calm": 0.3}, 0.004), MONDAY, wednesday
    )
    assert sorted(s.id for s in out.request.stops if s.mandatory) == ["likely", "maybe"]
    assert sorted(out.emptied) == ["likely", "maybe"]


def test_a_saturday_run_takes_only_what_would_overflow_before_monday():
    saturday = MONDAY + 5
    fills = {"likely": 0.95, "maybe": 0.84, "calm": 0.3}
    risks = _risks(_tracker_at(saturday, fills, 0.002), saturday, 63)  # to Monday 15:00
    assert risks["likely"] > 0.5 and 0.1 < risks["maybe"] < 0.5
    day = _day(_tracker_at(saturday, fills, 0.002), saturday, dict.fromkeys(fills, (0,)))
    assert [s.id for s in day.request.stops] == ["likely"] and day.emptied == ["likely"]


def test_only_the_sensor_driven_plan_works_on_saturdays():
    with_runs = StudySetup(saturday_runs=True)
    assert _works("sensor", with_runs, 5) and not _works("sized", with_runs, 5)
    assert not _works("sensor", with_runs, 6) and not _works(
        "sensor", StudySetup(saturday_runs=False), 5
    )
    assert all(_works(s, StudySetup(), d) for s in ("fixed", "sized", "sensor") for d in range(5))


def test_each_rhythm_s_longest_gap_between_collections():
    assert Rhythm("every 4 weeks", 4, (2,)).longest_gap_days == 28
    assert Rhythm("weekly", 1, (2,)).longest_gap_days == 7
    assert Rhythm("twice weekly", 1, (0, 3)).longest_gap_days == 4
    assert Rhythm("twice weekly", 1, (1, 4)).longest_gap_days == 4
    assert Rhythm("three times weekly", 1, (0, 2, 4)).longest_gap_days == 3


def test_rhythms_start_at_the_scenario_s_own_and_keep_its_weeks():
    glass = CollectionSlot("g", weekday=2, interval_weeks=4, week_offset=3, route_position=0)
    names = [r.name for r in rhythms(glass)]
    assert names == [
        "every 4 weeks",
        "every 2 weeks",
        "weekly",
        "twice weekly",
        "three times weekly",
    ]
    own, fortnightly = rhythms(glass)[:2]
    days = range(MONDAY, MONDAY + 8 * 7)
    old = [d for d in days if own.due(d)]
    assert len(old) == 2 and all(int(weekday_of_day(d)) == 2 for d in old)
    assert set(old) <= {d for d in days if fortnightly.due(d)}  # every old day is kept
    residual = CollectionSlot("r", weekday=4, interval_weeks=1, week_offset=0, route_position=0)
    assert rhythms(residual)[0].name == "weekly"


def test_a_weekly_floor_empties_even_the_slowest_igloo_weekly():
    glass = CollectionSlot("g", weekday=2, interval_weeks=4, week_offset=3, route_position=0)
    assert rhythms(glass, slowest_weeks=2)[0].name == "every 2 weeks"
    weekly = SizingRule(slowest_weeks=1)
    assert weekly.choose(0.0, glass).name == "weekly"
    assert SizingRule().choose(0.0, glass).name == "every 4 weeks"
    assert weekly.choose(0.05, glass).name == "three times weekly"
    with pytest.raises(ValueError):
        SizingRule(slowest_weeks=3)


@pytest.mark.parametrize("rate_per_h", [0.0005, 0.001, 0.002, 0.004, 0.008, 0.012, 0.05])
def test_a_container_gets_the_least_frequent_rhythm_that_keeps_it_under_the_brim(rate_per_h):
    slot = CollectionSlot("g", weekday=0, interval_weeks=4, week_offset=0, route_position=0)
    rule = SizingRule(z=1.64)
    options = rhythms(slot)
    chosen = rule.choose(rate_per_h, slot)
    position = options.index(chosen)
    less_often = options[:position]
    assert all(rule.high_fill(rate_per_h, r) > 1.0 for r in less_often)
    if chosen != options[-1]:
        assert rule.high_fill(rate_per_h, chosen) <= 1.0
    # the high fill over the gap covers the mean fill with room to spare
    gap_h = 24 * chosen.longest_gap_days + rule.shift_h
    assert rule.high_fill(rate_per_h, chosen) > rate_per_h * gap_h


def test_a_higher_percentile_never_collects_less_often():
    slot = CollectionSlot("g", weekday=0, interval_weeks=4, week_offset=0, route_position=0)
    for rate in (0.0005, 0.001, 0.002, 0.004, 0.008):
        gaps = [SizingRule(z=z).choose(rate, slot).longest_gap_days for z in (0.0, 1.64, 2.33)]
        assert gaps == sorted(gaps, reverse=True)
    with pytest.raises(ValueError):
        SizingRule(z=-0.5)


def test_a_container_left_full_is_sized_at_the_rate_it_filled_at():
    tracker = FillTracker([BIN])
    for h in range(0, 160, 4):  # 1 % per hour: full after 100 h, then left standing full
        fill = min(1.0, 0.01 * h)
        tracker.read("c", h * HOUR, 1000 - 800 * fill)
    tracker.read("c", 60 * HOUR + 1, 200)  # one spurious echo on the way up
    tracker.emptied("c", 160 * HOUR)
    tracker.read("c", 161 * HOUR, 1000)
    assert tracker.filling_rate("c", 162 * HOUR) == pytest.approx(0.01, rel=0.05)
    assert tracker.rate("c", 162 * HOUR) < 0.0075  # the whole stretch understates it


def test_events_add_collections_near_them_and_overdue_containers_catch_up():
    # day MONDAY + 7 is a Monday; the fair runs in the week after that one
    calendar = LocalCalendar("UTC")
    fair = KnownEvent(
        "fair", (MONDAY + 16) * 86_400.0, (MONDAY + 18) * 86_400.0, BIN.location, 1500
    )
    far = SensedContainer("far", Location("far", 56.2, 8.9), 1000, empty_mm=1000, full_mm=200)
    tracker = FillTracker([BIN, far], [fair])
    takeover = MONDAY + 7
    for h in range(0, 7 * 24, 4):  # 0.3 % per hour: weekly fits, the fair's threefold does not
        t = (MONDAY * 24 + h) * HOUR
        tracker.read("c", t, 1000 - 800 * 0.003 * h)
        tracker.read("far", t, 1000 - 800 * 0.003 * h)
    slots = [
        CollectionSlot("c", weekday=2, interval_weeks=1, week_offset=0, route_position=0),
        CollectionSlot("far", weekday=2, interval_weeks=1, week_offset=0, route_position=0),
    ]
    last = {"c": (MONDAY + 2) * 86_400.0 + 9 * HOUR}  # "far" has no record: overdue
    weeks = range((takeover + 3) // 7, (takeover + 3) // 7 + 3)
    kinds = {"c": "glass", "far": "glass"}
    schedule = size_schedule(tracker, takeover, last, slots, kinds, SizingRule(), weeks, calendar)
    assert schedule.rhythm["c"].name == schedule.rhythm["far"].name == "weekly"
    fair_week = range(takeover + 7, takeover + 12)
    near = [d for d in fair_week if schedule.due("c", d)]
    away = [d for d in fair_week if schedule.due("far", d)]
    assert away == [takeover + 9] and len(near) == 3  # three times that week, near the fair
    assert schedule.catch_up == {"far": takeover}
    assert schedule.due("far", takeover) and not schedule.due("c", takeover)
