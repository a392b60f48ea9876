"""The night and collection checkers fail on tampered plans (a checker that cannot fail is no
check). Each test breaks one rule in an otherwise valid plan."""

from dataclasses import replace
from pathlib import Path

import pytest

from tilsyn.routing.checks import check_collection_plan, check_night_plan
from tilsyn.routing.io import load_request
from tilsyn.routing.nurse import LiveNight, NightPlanRequest, NurseOnRoad
from tilsyn.routing.nurse_solver import solve_night_plan
from tilsyn.routing.params import Stop
from tilsyn.routing.plans import Dropped
from tilsyn.routing.travel import CachedTravel, HaversineSource
from tilsyn.routing.waste import CollectionRequest
from tilsyn.routing.waste_solver import solve_collection

DATA = Path(__file__).parent / "data"
TRAVEL = CachedTravel(HaversineSource())


@pytest.fixture(scope="module")
def night():
    request = load_request(DATA / "night_small.json", NightPlanRequest)
    plan = solve_night_plan(request, TRAVEL, Stop(seconds=0.5))
    places = [*(n.base for n in request.nurses), *(t.location for t in request.tasks)]
    matrix = TRAVEL.matrix(places)
    assert check_night_plan(request, plan, matrix) == []
    return request, plan, matrix


@pytest.fixture(scope="module")
def day():
    request = load_request(DATA / "collection_small.json", CollectionRequest)
    plan = solve_collection(request, TRAVEL, Stop(seconds=0.5))
    places = [t.depot for t in request.trucks] + [s.location for s in request.disposal_sites]
    matrix = TRAVEL.matrix(places + [s.location for s in request.stops])
    assert check_collection_plan(request, plan, matrix) == []
    return request, plan, matrix


def tamper(plan, vehicle, visits=None, **route_changes):
    route = plan.route_of(vehicle)
    changed = replace(route, visits=visits if visits is not None else route.visits, **route_changes)
    return replace(plan, routes=tuple(changed if r is route else r for r in plan.routes))


def busiest(plan):
    return max(plan.routes, key=lambda r: len(r.visits)).vehicle_id


def test_night_late_start(night):
    request, plan, matrix = night
    vehicle = busiest(plan)
    first = plan.route_of(vehicle).visits[0]
    task = request.task(first.id)
    late = replace(first, start=task.latest + 1, departure=task.latest + 1 + task.service)
    bad = tamper(plan, vehicle, (late, *plan.route_of(vehicle).visits[1:]))
    assert any("window" in p for p in check_night_plan(request, bad, matrix))


def test_night_wrong_competence(night):
    request, plan, matrix = night
    rn_visits = plan.route_of("rn").visits
    bad = tamper(plan, "ca", rn_visits, start_location_id="base")
    bad = tamper(bad, "rn", ())
    assert any("not qualified" in p for p in check_night_plan(request, bad, matrix))


def test_night_silent_drop(night):
    request, plan, matrix = night
    vehicle = busiest(plan)
    bad = tamper(plan, vehicle, plan.route_of(vehicle).visits[:-1])
    problems = check_night_plan(request, bad, matrix)
    assert any("neither served nor dropped" in p for p in problems)
    gone = plan.route_of(vehicle).visits[-1].id
    excused = replace(bad, dropped=(Dropped(gone, ""),))
    assert any(
        "neither served nor dropped" in p for p in check_night_plan(request, excused, matrix)
    )
    # Saying the plan is infeasible does not excuse leaving a task out without a word.
    given_up = replace(bad, feasible=False, problems=("a nurse fell ill",))
    problems = check_night_plan(request, given_up, matrix)
    assert f"{gone} is neither served nor dropped with a reason" in problems


def test_night_home_after_shift(night):
    request, plan, matrix = night
    vehicle = busiest(plan)
    bad = tamper(plan, vehicle, return_time=request.nurses[0].shift_end + 60)
    assert any("shift ends" in p for p in check_night_plan(request, bad, matrix))


def test_collection_skipped_tip(day):
    request, plan, matrix = day
    vehicle = busiest(plan)
    visits = plan.route_of(vehicle).visits
    without_tips = tuple(v for v in visits if v.kind != "tip")
    problems = check_collection_plan(request, tamper(plan, vehicle, without_tips), matrix)
    assert any("over capacity" in p for p in problems)
    assert any("goes home loaded" in p for p in problems)


def test_collection_too_many_tip_runs(day):
    request, plan, matrix = day
    route = plan.route_of(busiest(plan))
    tips = sum(1 for v in route.visits if v.kind == "tip")
    assert tips >= 2, "the busiest truck of the small day tips on the way and on the way home"
    fewer = replace(request, max_tips=tips - 1)
    problems = check_collection_plan(fewer, plan, matrix)
    assert f"{route.vehicle_id}: {tips} tip runs, more than the {tips - 1} allowed" in problems


def test_collection_quiet_hours(day):
    request, plan, matrix = day
    vehicle, quiet = next(
        (r.vehicle_id, v)
        for r in plan.routes
        for v in r.visits
        if v.kind == "container" and next(s for s in request.stops if s.id == v.id).quiet
    )
    early = replace(quiet, arrival=6 * 3600, start=6 * 3600, departure=6 * 3600 + 300)
    visits = tuple(early if v is quiet else v for v in plan.route_of(vehicle).visits)
    problems = check_collection_plan(request, tamper(plan, vehicle, visits), matrix)
    assert any("quiet hours" in p for p in problems)


def test_collection_shift_length_and_distance(day):
    request, plan, matrix = day
    vehicle = busiest(plan)
    route = plan.route_of(vehicle)
    bad = tamper(plan, vehicle, departure=route.return_time - 7 * 3600, metres=route.metres - 1)
    problems = check_collection_plan(request, bad, matrix)
    assert any("longer than" in p for p in problems)
    assert any("drives" in p for p in problems)


def test_collection_mandatory_missing(day):
    request, plan, matrix = day
    mandatory = next(s.id for s in request.stops if s.mandatory)
    vehicle = next(r.vehicle_id for r in plan.routes if mandatory in r.ids())
    visits = tuple(v for v in plan.route_of(vehicle).visits if v.id != mandatory)
    bad = tamper(plan, vehicle, visits)
    assert any(f"mandatory {mandatory}" in p for p in check_collection_plan(request, bad, matrix))


def test_night_stop_reported_somewhere_else(night):
    """Times and metres are worked out from where a visit says it is: that place must be the
    task's own, or a plan could put every task at base and drive 0 m."""
    request, plan, matrix = night
    vehicle = busiest(plan)
    route = plan.route_of(vehicle)
    moved = tuple(replace(v, location_id=route.start_location_id) for v in route.visits)
    problems = check_night_plan(request, tamper(plan, vehicle, moved), matrix)
    first = route.visits[0]
    assert f"{vehicle}: {first.id} is reported at {route.start_location_id}, not " in "".join(
        problems
    )


def test_night_times_that_come_late_or_wait_for_nothing(night):
    request, plan, matrix = night
    vehicle = busiest(plan)
    route = plan.route_of(vehicle)
    first = route.visits[0]
    late = replace(first, arrival=first.arrival + 600)
    problems = check_night_plan(request, tamper(plan, vehicle, (late, *route.visits[1:])), matrix)
    assert any(f"{first.id} arrival {first.arrival + 600}, but the drive" in p for p in problems)
    task = request.task(first.id)
    idle = next(t for t in range(first.arrival + 1, task.latest) if t != task.earliest)
    waits = replace(first, start=idle, departure=idle + task.service)
    problems = check_night_plan(request, tamper(plan, vehicle, (waits, *route.visits[1:])), matrix)
    assert any(f"{first.id} waits until {idle} for nothing" in p for p in problems)
    home_late = tamper(plan, vehicle, return_time=route.return_time + 60)
    assert any("claims to be home at" in p for p in check_night_plan(request, home_late, matrix))


def test_night_route_ends_away_from_base_or_holds_other_stops(night):
    request, plan, matrix = night
    vehicle = busiest(plan)
    route = plan.route_of(vehicle)
    last = route.visits[-1]
    away = tamper(plan, vehicle, end_location_id=last.location_id)
    assert f"{vehicle}: ends at {last.location_id}, not at base" in check_night_plan(
        request, away, matrix
    )
    coffee = replace(last, id="coffee", kind="break")
    extra = tamper(plan, vehicle, (*route.visits[:-1], coffee, last))
    assert f"{vehicle}: unknown stop break coffee" in check_night_plan(request, extra, matrix)


def test_night_plan_level_promises(night):
    request, plan, matrix = night
    given_up_with_routes = replace(plan, feasible=False, problems=("a nurse fell ill",))
    problems = check_night_plan(request, given_up_with_routes, matrix)
    assert any("infeasible night plan carries routes" in p for p in problems)
    feasible_with_problems = replace(plan, problems=("something",))
    problems = check_night_plan(request, feasible_with_problems, matrix)
    assert any("a feasible plan that reports problems" in p for p in problems)
    ghost = replace(plan, dropped=(*plan.dropped, Dropped("ghost", "no room")))
    assert "ghost is dropped but not in the request" in check_night_plan(request, ghost, matrix)


def test_collection_stop_or_tip_reported_somewhere_else(day):
    request, plan, matrix = day
    vehicle = busiest(plan)
    route = plan.route_of(vehicle)
    tip = next(v for v in route.visits if v.kind == "tip")
    at_home = tuple(replace(v, location_id="depot") if v is tip else v for v in route.visits)
    problems = check_collection_plan(request, tamper(plan, vehicle, at_home), matrix)
    assert f"{vehicle}: {tip.id} is reported at depot, not {tip.location_id}" in problems


def test_collection_loads_must_be_reported_and_tips_carry_something(day):
    request, plan, matrix = day
    vehicle = busiest(plan)
    route = plan.route_of(vehicle)
    first = route.visits[0]
    unreported = tuple(replace(v, load=()) if v is first else v for v in route.visits)
    problems = check_collection_plan(request, tamper(plan, vehicle, unreported), matrix)
    assert any(f"reports load () after {first.id}" in p for p in problems)
    tip = next(v for v in route.visits if v.kind == "tip")
    twice = []
    for visit in route.visits:
        twice.append(visit)
        if visit is tip:  # the same tip run again, straight after
            again = visit.departure + visit.departure - visit.start
            twice.append(replace(visit, arrival=visit.departure, start=visit.departure))
            twice[-1] = replace(twice[-1], departure=again)
    problems = check_collection_plan(request, tamper(plan, vehicle, tuple(twice)), matrix)
    assert f"{vehicle}: tips at {tip.id} with nothing on board" in problems


def test_collection_mandatory_named_by_its_whole_id(day):
    """A problem about c10 does not excuse leaving c1 out."""
    request, plan, matrix = day
    mandatory = next(s.id for s in request.stops if s.mandatory)
    vehicle = next(r.vehicle_id for r in plan.routes if mandatory in r.ids())
    visits = tuple(v for v in plan.route_of(vehicle).visits if v.id != mandatory)
    bad = replace(
        tamper(plan, vehicle, visits),
        feasible=False,
        problems=(f"mandatory container {mandatory}0: does not fit",),
        dropped=(*plan.dropped, Dropped(mandatory, "does not fit")),
    )
    problems = check_collection_plan(request, bad, matrix)
    assert f"mandatory {mandatory} is not served and not reported as a problem" in problems


def test_a_place_the_request_does_not_hold_is_reported_not_raised(night, day):
    request, plan, matrix = night
    vehicle = busiest(plan)
    first, *rest = plan.route_of(vehicle).visits
    lost = tamper(plan, vehicle, (replace(first, location_id="nowhere"), *rest))
    problems = check_night_plan(request, lost, matrix)
    assert f"{vehicle}: goes to nowhere, a place not in the request" in problems
    request, plan, matrix = day
    vehicle = busiest(plan)
    astray = tamper(plan, vehicle, end_location_id="scrapyard")
    problems = check_collection_plan(request, astray, matrix)
    assert f"{vehicle}: goes to scrapyard, a place not in the request" in problems


def test_mid_shift_nobody_leaves_in_the_past(night):
    """A nurse the live state does not place on the road is still bound by the clock."""
    request, plan, matrix = night
    rn = next(n for n in request.nurses if n.id == "rn")
    now = 3600
    live = LiveNight(request, now, (NurseOnRoad("rn", rn.base, now),))
    ca_route = plan.route_of("ca")
    assert ca_route.departure < now, "the small night's care assistant leaves before 1 h in"
    problems = check_night_plan(request, plan, matrix, live)
    assert f"ca: leaves at {ca_route.departure}, is free at {now}" in problems
