"""Input the solvers cannot take is refused saying where and why (exit 2 on the command line);
nothing crashes OR-Tools, and no task or container leaves a plan without a word."""

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from tilsyn.cli import main
from tilsyn.routing.checks import check_collection_plan
from tilsyn.routing.io import load_request
from tilsyn.routing.nurse import LiveNight, NightPlanRequest, NurseOnRoad
from tilsyn.routing.nurse_solver import solve_night_plan
from tilsyn.routing.params import Stop
from tilsyn.routing.scenarios import trondheim_night
from tilsyn.routing.travel import CachedTravel, HaversineSource
from tilsyn.routing.waste import CollectionRequest, ContainerStop
from tilsyn.routing.waste_solver import solve_collection

DATA = Path(__file__).parent / "data"
NIGHT = load_request(DATA / "night_small.json", NightPlanRequest)
COLLECTION = load_request(DATA / "collection_small.json", CollectionRequest)


def refused(tmp_path, capsys, command: str, text: str) -> str:
    """Run `tilsyn route COMMAND` on `text`; it must refuse with exit 2. Returns stderr."""
    path = tmp_path / "input"
    path.write_text(text)
    assert main(["route", command, str(path), "--seconds", "1"]) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error
    return error


def shift_before_origin(night):
    night["nurses"][0]["shift_start"] = -7200


def window_past_int64(night):
    night["tasks"][0]["latest"] = 10**19


def misspelt_field(night):
    night["tasks"][0]["priorty"] = night["tasks"][0].pop("priority")


def one_id_two_places(night):
    night["tasks"][1]["location"] = {**night["tasks"][0]["location"], "lat": 63.6}


def too_many_tasks(night):
    task = night["tasks"][0]
    night["tasks"] = [{**task, "id": f"t{n}"} for n in range(501)]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (shift_before_origin, "nurses.0: Value error, nurse rn shift: -7200 s from the origin"),
        (window_past_int64, "tasks.0: Value error, task t1 window: 10000000000000000000 s"),
        (misspelt_field, "tasks.0.priorty: Unexpected keyword argument"),
        (one_id_two_places, "location id 'unit1' names two places"),
        (too_many_tasks, "501 tasks: a night plan takes at most 500"),
    ],
)
def test_a_night_the_solver_cannot_take_is_refused_saying_where(tmp_path, capsys, change, said):
    night = json.loads((DATA / "night_small.json").read_text())
    change(night)
    assert said in refused(tmp_path, capsys, "night", json.dumps(night))


def depots_sharing_an_id(day):
    day["trucks"][1]["depot"] = {"id": "depot", "lat": 57.5, "lon": 10.4}


def tips_beyond_reason(day):
    day["max_tips"] = 5000


def capacity_past_int64(day):
    day["trucks"][0]["capacity_l"] = 10**19


def quiet_hours_reversed(day):
    day["quiet_hours"] = [[30000, 20000]]


def window_misspelt(day):
    day["stops"][0]["windws"] = [[40000, 40100]]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (depots_sharing_an_id, "location id 'depot' names two places"),
        (tips_beyond_reason, "max_tips 5000: a truck tips 1..10 times a day"),
        (capacity_past_int64, "truck truck-1 capacity: 10000000000000000000 is outside"),
        (quiet_hours_reversed, "quiet hours: a window opens after it closes"),
        (window_misspelt, "stops.0.windws: Unexpected keyword argument"),
    ],
)
def test_a_collection_day_the_solver_cannot_take_is_refused(tmp_path, capsys, change, said):
    day = json.loads((DATA / "collection_small.json").read_text())
    change(day)
    assert said in refused(tmp_path, capsys, "collection", json.dumps(day))


def test_windows_in_any_order_mean_the_same_and_are_kept():
    stop = ContainerStop(
        "late-or-early",
        COLLECTION.stops[0].location,
        500,
        150,
        300,
        windows=((45000, 46000), (30000, 31000), (30500, 30600)),
        mandatory=True,
    )
    assert stop.windows == ((30000, 31000), (45000, 46000))
    request = replace(COLLECTION, stops=(*COLLECTION.stops[1:], stop))
    travel = CachedTravel(HaversineSource())
    plan = solve_collection(request, travel, Stop(seconds=1))
    places = [t.depot for t in request.trucks] + [s.location for s in request.disposal_sites]
    matrix = travel.matrix(places + [s.location for s in request.stops])
    assert plan.feasible and check_collection_plan(request, plan, matrix) == []
    [visit] = [v for r in plan.routes for v in r.visits if v.id == stop.id]
    assert any(opens <= visit.start <= closes for opens, closes in stop.windows)


SOLOMON_TOP = """TINY
VEHICLE
NUMBER     CAPACITY
  {vehicles}         30
CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME
    0      50         50          0          0        300          0
"""


@pytest.mark.parametrize(
    ("vehicles", "rows", "said"),
    [
        (2, "    1      60         50         10         10\n", "input:8: expected 7 numbers"),
        (2, "    1      60         50         99         10   60   10\n", "customer 1 needs 99"),
        (2, "    1      60         50         10         70   60   10\n", "ready after it is due"),
        (0, "    1      60         50         10         10   60   10\n", "vehicles and capacity"),
        (2, "    1      6e99       50         10         10   60   10\n", "whole numbers"),
    ],
)
def test_a_solomon_file_off_the_format_is_refused_with_its_line(
    tmp_path, capsys, vehicles, rows, said
):
    text = SOLOMON_TOP.format(vehicles=vehicles) + rows
    assert said in refused(tmp_path, capsys, "solomon", text)


def test_a_live_night_that_cannot_be_true_is_refused():
    rn, ca = (n.base for n in NIGHT.nurses)
    with pytest.raises(ValueError, match="at least one nurse on the road"):
        LiveNight(NIGHT, 3600, ())
    with pytest.raises(ValueError, match="duplicate nurse on the road ids"):
        LiveNight(NIGHT, 3600, (NurseOnRoad("rn", rn, 3600), NurseOnRoad("rn", rn, 3600)))
    both = (NurseOnRoad("rn", rn, 3600, ("t1",)), NurseOnRoad("ca", ca, 3600, ("t1",)))
    with pytest.raises(ValueError, match="duplicate promised task"):
        LiveNight(NIGHT, 3600, both)
    with pytest.raises(ValueError, match=r"not in the night: \['ghost'\]"):
        LiveNight(NIGHT, 3600, (NurseOnRoad("rn", rn, 3600, ("ghost",), locked=1),))


def test_with_no_plan_in_the_budget_every_task_and_container_is_still_named():
    """A budget too short for a first solution: every stop is listed with that reason. The
    budget is OR-Tools' shortest (1 ms) and the instances are large enough that a first
    solution takes hundreds of times longer (400 tasks: ~0.3 s; 608 containers: ~1 s)."""
    night_request = trondheim_night(tasks=400)
    day_request = with_optional_containers(COLLECTION, 600)
    travel = CachedTravel(HaversineSource())
    night = solve_night_plan(night_request, travel, Stop(seconds=1e-9))
    day = solve_collection(day_request, travel, Stop(seconds=1e-9))
    assert not night.routes and not day.routes
    assert not night.feasible and not day.feasible
    assert sorted(d.id for d in night.dropped) == sorted(t.id for t in night_request.tasks)
    assert all(d.reason.startswith("not planned: no plan found") for d in night.dropped)
    assert sorted(d.id for d in day.dropped) == sorted(s.id for s in day_request.stops)
    mandatory = [s.id for s in day_request.stops if s.mandatory]
    assert [p for p in day.problems if "not planned" in p] == [
        f"mandatory container {i}: not planned" for i in mandatory
    ]


def with_optional_containers(request: CollectionRequest, count: int) -> CollectionRequest:
    """`request` with `count` more containers that may be left for another day, scattered
    within about 5 km of its own."""
    rng = random.Random(1)
    extra = []
    for n in range(count):
        like = request.stops[n % len(request.stops)]
        lat = like.location.lat + rng.uniform(-0.05, 0.05)
        lon = like.location.lon + rng.uniform(-0.05, 0.05)
        place = replace(like.location, id=f"x{n}", lat=lat, lon=lon)
        extra.append(replace(like, id=f"x{n}", location=place, mandatory=False, skip_penalty=1000))
    return replace(request, stops=(*request.stops, *extra))
