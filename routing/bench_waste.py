"""A Herning glass-collection day: what was chosen, how far the trucks drove."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tilsyn.routing.bench_figures import figure, report_violations
from tilsyn.routing.checks import check_collection_plan
from tilsyn.routing.collection_day import plan_collection_day
from tilsyn.routing.herning import herning_fleet, herning_forecasts
from tilsyn.routing.params import Stop
from tilsyn.routing.travel import CachedTravel, HaversineSource
from tilsyn.routing.waste_select import SelectionPolicy

CONTAINERS = 120


def bench_collection() -> int:
    travel = CachedTravel(HaversineSource())
    origin = datetime(2025, 3, 3, tzinfo=ZoneInfo("Europe/Copenhagen"))
    fleet = herning_fleet(trucks=2)
    forecasts = herning_forecasts(seed=1, containers=CONTAINERS)
    day = plan_collection_day(origin, forecasts, fleet, SelectionPolicy(), travel, Stop(10))
    request, plan = day.request, day.plan
    places = [t.depot for t in request.trucks] + [s.location for s in request.disposal_sites]
    matrix = travel.matrix(places + [s.location for s in request.stops])
    violations = report_violations("collection", check_collection_plan(request, plan, matrix))
    mandatory = sum(s.mandatory for s in request.stops)
    figure("routing_collection_candidates", len(request.stops), f"of {CONTAINERS}")
    figure("routing_collection_mandatory", mandatory, "containers")
    figure("routing_collection_emptied", len(day.emptied), "containers")
    figure("routing_collection_km", plan.km, "km")
    figure("routing_collection_tips", len(plan.served_ids("tip")), "tip runs")
    figure("routing_collection_feasible", int(plan.feasible), "bool")
    figure("routing_collection_solve", plan.solve_seconds, "s")
    return violations
