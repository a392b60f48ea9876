"""Night plans at shift start: competence, windows, priorities, explanations, the command line."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tilsyn.cli import main
from tilsyn.routing.checks import check_night_plan
from tilsyn.routing.io import load_request
from tilsyn.routing.nurse import Competence, NightPlanRequest, Nurse, NurseTask, Priority
from tilsyn.routing.nurse_solver import solve_night_plan
from tilsyn.routing.params import Stop
from tilsyn.routing.travel import CachedTravel, HaversineSource

SMALL = load_request(Path(__file__).parent / "data" / "night_small.json", NightPlanRequest)
QUICK = Stop(seconds=1)


def plan_and_check(request, stop=QUICK):
    travel = CachedTravel(HaversineSource())
    plan = solve_night_plan(request, travel, stop)
    places = [*(n.base for n in request.nurses), *(t.location for t in request.tasks)]
    assert check_night_plan(request, plan, travel.matrix(places)) == []
    return plan


def test_small_night_serves_everything_within_the_rules():
    plan = plan_and_check(SMALL)
    assert plan.feasible and plan.dropped == ()
    assert sorted(plan.served_ids()) == sorted(t.id for t in SMALL.tasks)
    assistant = plan.route_of("ca")
    assert all(SMALL.task(i).requires is Competence.CARE_ASSISTANT for i in assistant.ids())


def test_missing_competence_is_explained_not_dropped_silently():
    assistants = tuple(replace(n, competence=Competence.CARE_ASSISTANT) for n in SMALL.nurses)
    plan = plan_and_check(replace(SMALL, nurses=assistants))
    dropped = {d.id: d.reason for d in plan.dropped}
    needs_rn = {t.id for t in SMALL.tasks if t.requires is Competence.REGISTERED_NURSE}
    assert set(dropped) == needs_rn
    assert all("registered nurse" in reason for reason in dropped.values())


def test_unreachable_window_is_explained():
    far = replace(SMALL.tasks[0], id="too-soon", earliest=0, latest=30)
    plan = plan_and_check(replace(SMALL, tasks=(*SMALL.tasks, far)))
    [reason] = [d.reason for d in plan.dropped if d.id == "too-soon"]
    assert reason.startswith("window closes at 22:00")


def test_when_the_night_is_too_short_priority_decides():
    """One nurse, one hour, five 20-minute tasks at one place: three fit. The high one and both
    normal ones must be chosen over the two low ones."""
    nurse = replace(SMALL.nurses[0], shift_end=2 * 3600)
    place = SMALL.tasks[0].location
    levels = [Priority.LOW, Priority.NORMAL, Priority.LOW, Priority.HIGH, Priority.NORMAL]
    tasks = tuple(
        NurseTask(f"p{i}", place, 0, 3600, 1200, level, Competence.CARE_ASSISTANT)
        for i, level in enumerate(levels)
    )
    plan = plan_and_check(NightPlanRequest(SMALL.origin, (nurse,), tasks))
    assert sorted(plan.served_ids()) == ["p1", "p3", "p4"]
    assert all(d.reason.startswith("no room") for d in plan.dropped)


def test_requests_are_validated():
    with pytest.raises(ValueError, match="duplicate task ids"):
        replace(SMALL, tasks=(SMALL.tasks[0], SMALL.tasks[0]))
    with pytest.raises(ValueError, match="shift ends before it starts"):
        Nurse("x", SMALL.nurses[0].base, Competence.REGISTERED_NURSE, 10, 5)


def test_cli_plans_a_request_file(capsys):
    path = Path(__file__).parent / "data" / "night_small.json"
    assert main(["route", "night", str(path), "--seconds", "1"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["feasible"] and len(plan["routes"]) == 2
    assert plan["km"] == pytest.approx(sum(r["km"] for r in plan["routes"])) and plan["km"] > 0
    assert all("arrival" in v for r in plan["routes"] for v in r["visits"])
    assert sum(len(r["visits"]) for r in plan["routes"]) == len(SMALL.tasks)
