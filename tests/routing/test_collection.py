"""Collection days: tip runs, quiet hours, windows, shift length, and explained infeasibility."""

import json
from dataclasses import replace
from pathlib import Path

from tilsyn.cli import main
from tilsyn.routing.checks import check_collection_plan
from tilsyn.routing.geo import Location
from tilsyn.routing.io import load_request
from tilsyn.routing.params import Stop
from tilsyn.routing.travel import CachedTravel, HaversineSource
from tilsyn.routing.waste import CollectionRequest
from tilsyn.routing.waste_solver import solve_collection

FILE = Path(__file__).parent / "data" / "collection_small.json"
SMALL = load_request(FILE, CollectionRequest)
QUICK = Stop(seconds=1)
HOUR = 3600


def plan_and_check(request):
    travel = CachedTravel(HaversineSource())
    plan = solve_collection(request, travel, QUICK)
    places = [t.depot for t in request.trucks] + [s.location for s in request.disposal_sites]
    matrix = travel.matrix(places + [s.location for s in request.stops])
    assert check_collection_plan(request, plan, matrix) == []
    return plan


def test_small_day_keeps_every_rule():
    plan = plan_and_check(SMALL)
    assert plan.feasible and plan.dropped == ()
    visits = {v.id: v for r in plan.routes for v in r.visits if v.kind == "container"}
    assert all(visits[s.id].start >= 7 * HOUR for s in SMALL.stops if s.quiet)
    assert 9 * HOUR <= visits["c4"].start <= 11 * HOUR


def test_full_trucks_go_to_the_tip_and_come_home_empty():
    plan = plan_and_check(SMALL)
    total = sum(s.volume_l for s in SMALL.stops)  # 19,600 L against 6,000 L trucks
    tips = [v for r in plan.routes for v in r.visits if v.kind == "tip"]
    assert len(tips) >= total // 6000 + 1
    for route in plan.routes:
        assert all(v.load[0] <= 6000 and v.load[1] <= 2000 for v in route.visits)
        assert not route.visits or route.visits[-1].kind == "tip"


def test_no_truck_tips_more_often_than_allowed():
    # Seven containers need four loads. The cheaper truck may make three (the copies of the
    # site are shared, the count is not); a second truck for the last one costs more than
    # leaving it, so it waits, with a reason.
    huge = replace(SMALL.stops[0], volume_l=7000)
    plan = plan_and_check(replace(SMALL, stops=(huge, *SMALL.stops[1:])))
    assert all(sum(1 for v in r.visits if v.kind == "tip") <= SMALL.max_tips for r in plan.routes)
    served = set(plan.served_ids("container"))
    assert len(served) == 6 and {s.id for s in SMALL.stops if s.mandatory} - {"c1"} <= served
    assert {d.id for d in plan.dropped} == {"c1"} | ({s.id for s in SMALL.stops} - served - {"c1"})


def test_a_container_too_big_for_any_truck_is_named():
    huge = replace(SMALL.stops[0], volume_l=7000)
    # A fourth tip run lets one truck take all the others (a second truck for one costs more).
    plan = plan_and_check(replace(SMALL, stops=(huge, *SMALL.stops[1:]), max_tips=4))
    assert not plan.feasible
    assert plan.problems == (
        "mandatory container c1: holds 7000 L, more than the largest truck takes (6000 L)",
    )
    assert set(plan.served_ids("container")) == {s.id for s in SMALL.stops[1:]}


def test_mandatory_containers_that_do_not_fit_together_are_named():
    one_short_shift = (replace(SMALL.trucks[0], max_shift=HOUR + HOUR // 2),)
    everything = tuple(replace(s, mandatory=True) for s in SMALL.stops)
    plan = plan_and_check(replace(SMALL, trucks=one_short_shift, stops=everything))
    assert not plan.feasible
    assert plan.problems and all("does not fit" in p for p in plan.problems)
    assert len(plan.served_ids("container")) + len(plan.problems) == len(everything)
    named = {p.split(":")[0].removeprefix("mandatory container ") for p in plan.problems}
    assert {d.id for d in plan.dropped} == named
    assert all("does not fit" in d.reason for d in plan.dropped)


def test_optional_container_not_worth_the_detour():
    far = replace(SMALL.stops[1], id="far", location=Location("far", 56.30, 9.30), skip_penalty=100)
    plan = plan_and_check(replace(SMALL, stops=(*SMALL.stops, far)))
    [reason] = [d.reason for d in plan.dropped if d.id == "far"]
    assert reason.startswith("not worth it today")


def test_quiet_hours_covering_the_only_window_are_explained():
    night_only = replace(SMALL.stops[2], id="night", windows=((2 * HOUR, 5 * HOUR),), quiet=True)
    plan = plan_and_check(replace(SMALL, stops=(*SMALL.stops, night_only)))
    [reason] = [d.reason for d in plan.dropped if d.id == "night"]
    assert reason == "quiet hours cover every moment it may be emptied"


def test_cli_plans_a_request_file(capsys):
    assert main(["route", "collection", str(FILE), "--seconds", "1"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["feasible"] and plan["km"] > 0
    served = [v["id"] for r in plan["routes"] for v in r["visits"] if v["kind"] == "container"]
    assert sorted(served) == sorted(s.id for s in SMALL.stops)
