"""Re-planning mid-shift: urgent tasks go in fast, promises and locked stops are kept."""

import time
from dataclasses import replace

import pytest

from tilsyn.routing.checks import check_night_plan
from tilsyn.routing.nurse import LiveNight, NurseOnRoad
from tilsyn.routing.nurse_live import live_from_plan
from tilsyn.routing.nurse_solver import replan_night, solve_night_plan
from tilsyn.routing.params import Stop
from tilsyn.routing.scenarios import trondheim_night, urgent_task
from tilsyn.routing.travel import CachedTravel, HaversineSource

NOW = 3 * 3600  # 01:00


@pytest.fixture(scope="module")
def night():
    request = trondheim_night(seed=3, tasks=50)
    travel = CachedTravel(HaversineSource())
    plan = solve_night_plan(request, travel, Stop(seconds=2))
    return request, travel, plan


def matrix_for(request, travel, live):
    places = [*(n.base for n in request.nurses), *(t.location for t in request.tasks)]
    return travel.matrix([*places, *(t.location for t in live.urgent)])


def test_live_state_follows_the_plan(night):
    request, _, plan = night
    live = live_from_plan(request, plan, NOW)
    for route, state in zip(plan.routes, live.on_road, strict=True):
        started = [v for v in route.visits if v.start <= NOW]
        assert {v.id for v in started} <= live.completed
        assert list(state.promised) == [v.id for v in route.visits if v.start > NOW]
        driving = started and started[-1].departure < NOW and state.promised
        assert state.locked == (1 if driving else 0)


def test_urgent_task_is_inserted_in_under_a_second(night):
    request, travel, plan = night
    live = live_from_plan(request, plan, NOW, [urgent_task(11, request, NOW)])
    started = time.perf_counter()
    replanned = replan_night(live, travel)
    assert time.perf_counter() - started < 1.0
    assert replanned.feasible
    assert "urgent-11" in replanned.served_ids()
    assert check_night_plan(request, replanned, matrix_for(request, travel, live), live) == []


def test_promises_are_mostly_kept(night):
    request, travel, plan = night
    live = live_from_plan(request, plan, NOW, [urgent_task(5, request, NOW)])
    replanned = replan_night(live, travel)
    promised = {t: s.nurse_id for s in live.on_road for t in s.promised}
    now_with = {v.id: r.vehicle_id for r in replanned.routes for v in r.visits}
    kept = sum(now_with.get(t) == nurse for t, nurse in promised.items())
    assert kept >= 0.8 * len(promised)


def test_locked_stop_stays_first(night):
    request, travel, plan = night
    live = live_from_plan(request, plan, NOW, [urgent_task(2, request, NOW)])
    state = next(s for s in live.on_road if len(s.promised) >= 2)
    forced = replace(state, locked=2)
    live = replace(live, on_road=tuple(forced if s is state else s for s in live.on_road))
    replanned = replan_night(live, travel)
    route = replanned.route_of(state.nurse_id)
    assert route.ids()[:2] == list(state.promised[:2])
    assert check_night_plan(request, replanned, matrix_for(request, travel, live), live) == []


def test_a_locked_stop_that_no_longer_fits_makes_the_plan_infeasible(night):
    request, travel, plan = night
    live = live_from_plan(request, plan, NOW)
    state = next(s for s in live.on_road if s.promised)
    late = replace(state, locked=1, free_at=request.task(state.promised[0]).latest + 60)
    live = replace(live, on_road=tuple(late if s is state else s for s in live.on_road))
    replanned = replan_night(live, travel)
    assert not replanned.feasible and replanned.routes == ()
    assert replanned.problems and state.promised[0] in replanned.problems[0]
    assert {d.id for d in replanned.dropped} == {t.id for t in request.tasks} - live.completed
    assert check_night_plan(request, replanned, matrix_for(request, travel, live), live) == []


def test_a_visit_that_overran_the_shift_sends_the_nurse_straight_home(night):
    """Her started visit ends after the shift: she takes nothing more and drives home from
    it; the others' work is re-planned as usual (this used to make the solver fail)."""
    request, travel, plan = night
    live = live_from_plan(request, plan, NOW)
    state = next(s for s in live.on_road if s.promised)
    nurse = next(n for n in request.nurses if n.id == state.nurse_id)
    away = request.task(state.promised[0]).location
    overran = replace(state, position=away, free_at=nurse.shift_end + 600)
    live = replace(live, on_road=tuple(overran if s is state else s for s in live.on_road))
    replanned = replan_night(live, travel)
    assert replanned.feasible
    route = replanned.route_of(nurse.id)
    assert route.visits == ()
    drive_home = travel.matrix([away, nurse.base]).seconds_between(away.id, nurse.base.id)
    assert drive_home > 0 and route.return_time == nurse.shift_end + 600 + drive_home
    assert set(state.promised) <= {*replanned.served_ids(), *(d.id for d in replanned.dropped)}
    assert check_night_plan(request, replanned, matrix_for(request, travel, live), live) == []


def test_after_the_shift_every_open_task_is_left_out_with_a_reason(night):
    request, travel, plan = night
    end = max(n.shift_end for n in request.nurses)
    live = replace(live_from_plan(request, plan, NOW), now=end + 1800)
    replanned = replan_night(live, travel)
    open_tasks = {t.id for t in request.tasks} - live.completed
    assert len(open_tasks) > 10 and replanned.served_ids() == []
    assert {d.id for d in replanned.dropped if d.reason} == open_tasks
    assert check_night_plan(request, replanned, matrix_for(request, travel, live), live) == []


def test_a_replan_before_the_shift_starts_nobody_early(night):
    """A visit requested in the evening re-plans a shift that has not begun: the nurses are
    'free' from now, but still leave base at the shift's start, and the checker holds the
    plan to that."""
    request, travel, plan = night
    two_hours_before = -2 * 3600
    on_road = tuple(
        NurseOnRoad(
            n.id,
            n.base,
            two_hours_before,
            promised=tuple(v.id for v in plan.route_of(n.id).visits),
        )
        for n in request.nurses
    )
    live = LiveNight(request, two_hours_before, on_road, frozenset(), (urgent_task(7, request, 0),))
    replanned = replan_night(live, travel)
    shift_start = {n.id: n.shift_start for n in request.nurses}
    assert all(r.departure >= shift_start[r.vehicle_id] for r in replanned.routes)
    matrix = matrix_for(request, travel, live)
    assert check_night_plan(request, replanned, matrix, live) == []
    first = replanned.routes[0]
    early = replace(replanned, routes=(replace(first, departure=-600), *replanned.routes[1:]))
    problems = check_night_plan(request, early, matrix, live)
    starts_at = shift_start[first.vehicle_id]
    assert f"{first.vehicle_id}: leaves at -600, is free at {starts_at}" in problems
