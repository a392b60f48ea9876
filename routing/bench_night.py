"""Night-nurse figures on Trondheim-sized nights: plan quality and urgent-insert latency."""

from __future__ import annotations

import time

from tilsyn.routing.bench_figures import figure, mean, percentile, report_violations
from tilsyn.routing.checks import check_night_plan
from tilsyn.routing.nurse import LiveNight, NightPlanRequest
from tilsyn.routing.nurse_live import live_from_plan
from tilsyn.routing.nurse_solver import replan_night, solve_night_plan
from tilsyn.routing.params import Stop
from tilsyn.routing.plans import Plan
from tilsyn.routing.scenarios import trondheim_night, urgent_task
from tilsyn.routing.travel import CachedTravel, HaversineSource

NIGHTS = range(1, 6)
TASKS = 60
ALERT_TIMES = (5_400, 10_800, 16_200, 21_600)  # 23:30, 01:00, 02:30, 04:00


def bench_night() -> int:
    latencies, urgent_served, kept, promised, served, km = [], 0, 0, 0, 0.0, []
    violations = 0
    for seed in NIGHTS:
        request = trondheim_night(seed, TASKS)
        travel = CachedTravel(HaversineSource())
        plan = solve_night_plan(request, travel, Stop(seconds=3), seed)
        violations += _check(request, plan, travel, None)
        served += len(plan.served_ids())
        km.append(plan.km)
        for at in ALERT_TIMES:
            live = live_from_plan(request, plan, at, [urgent_task(seed * 100 + at, request, at)])
            started = time.perf_counter()
            replanned = replan_night(live, travel)
            latencies.append(1000 * (time.perf_counter() - started))
            violations += _check(request, replanned, travel, live)
            urgent_served += live.urgent[0].id in replanned.served_ids()
            kept_here, promised_here = _promises_kept(live, replanned)
            kept, promised = kept + kept_here, promised + promised_here
    figure("routing_night_plan_served", 100 * served / (TASKS * len(NIGHTS)), "%")
    figure("routing_night_plan_km", mean(km), "km")
    figure("routing_night_insert_p50", percentile(latencies, 50), "ms")
    figure("routing_night_insert_p95", percentile(latencies, 95), "ms")
    figure("routing_night_insert_max", max(latencies), "ms")
    figure("routing_night_urgent_served", 100 * urgent_served / len(latencies), "%")
    figure("routing_night_promises_kept", 100 * kept / max(1, promised), "%")
    return violations


def _promises_kept(live: LiveNight, plan: Plan) -> tuple[int, int]:
    """Promised tasks still served by the same nurse, out of all promised tasks."""
    now_with = {v.id: r.vehicle_id for r in plan.routes for v in r.visits}
    pairs = [(t, s.nurse_id) for s in live.on_road for t in s.promised]
    return sum(now_with.get(t) == nurse for t, nurse in pairs), len(pairs)


def _check(
    request: NightPlanRequest, plan: Plan, travel: CachedTravel, live: LiveNight | None
) -> int:
    tasks = (*request.tasks, *(live.urgent if live else ()))
    places = [*(n.base for n in request.nurses), *(t.location for t in tasks)]
    problems = check_night_plan(request, plan, travel.matrix(places), live)
    return report_violations("night plan", problems)
