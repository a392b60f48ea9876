"""ETA passes over windows, and requests and plans as JSON."""

from pathlib import Path

import pytest

from tilsyn.routing.io import load_request, parse_request, plan_json, request_json
from tilsyn.routing.nurse import NightPlanRequest
from tilsyn.routing.plans import Dropped, Plan, Route, Visit
from tilsyn.routing.timeline import Stop, earliest_start, forward_pass, latest_departure

SECONDS = [[0, 10, 20], [10, 0, 10], [20, 10, 0]]


def test_earliest_start_skips_to_the_next_window():
    windows = ((100, 200), (300, 400))
    assert earliest_start(50, windows) == 100
    assert earliest_start(150, windows) == 150
    assert earliest_start(250, windows) == 300
    assert earliest_start(401, windows) is None


def test_forward_pass_waits_and_refuses_late_routes():
    stops = [Stop(1, ((50, 60),), 5), Stop(2, ((0, 100),), 5)]
    timings = forward_pass(0, 0, stops, SECONDS)
    assert [(t.arrival, t.start, t.departure) for t in timings] == [(10, 50, 55), (65, 65, 70)]
    with pytest.raises(RuntimeError):
        forward_pass(0, 55, stops, SECONDS)


def test_latest_departure_keeps_the_finish():
    stops = [Stop(1, ((50, 60),), 5), Stop(2, ((0, 100),), 5)]
    assert latest_departure(0, 0, stops, SECONDS) == 40  # no waiting at the first stop
    assert forward_pass(0, 40, stops, SECONDS)[-1].departure == 70


def test_request_round_trip_and_validation():
    path = Path(__file__).parent / "data" / "night_small.json"
    request = load_request(path, NightPlanRequest)
    assert parse_request(request_json(request), NightPlanRequest) == request
    data = request_json(request)
    data["tasks"][0]["requires"] = "surgeon"
    with pytest.raises(ValueError, match="requires"):
        parse_request(data, NightPlanRequest)


def test_plan_json_adds_km():
    visit = Visit("t1", "unit1", "task", 10, 20, 30)
    route = Route("rn", "base", "base", 0, (visit,), 40, 1500)
    data = plan_json(Plan((route,), (Dropped("t2", "no room"),), True))
    assert data["km"] == 1.5 and data["routes"][0]["km"] == 1.5
    assert data["dropped"] == [{"id": "t2", "reason": "no room"}]
