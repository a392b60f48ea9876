"""Check a collection plan against the request: loads, tip runs, windows, quiet hours, shift
length."""

from __future__ import annotations

import re

from tilsyn.routing.checks.common import (
    at_its_place,
    coverage,
    home_in_time,
    metres_agree,
    one_route_per_vehicle,
    reached_in_time,
    unknown_places,
)
from tilsyn.routing.plans import Plan, Route, Visit
from tilsyn.routing.travel import TravelMatrix
from tilsyn.routing.waste import CollectionRequest, ContainerStop, Truck


def check_collection_plan(
    request: CollectionRequest, plan: Plan, matrix: TravelMatrix
) -> list[str]:
    stops = {s.id: s for s in request.stops}
    problems = one_route_per_vehicle(plan, {t.id for t in request.trucks})
    problems += coverage(plan, "container", set(stops), set())
    problems += _mandatory(request, plan)
    trucks = {t.id: t for t in request.trucks}
    for route in plan.routes:
        if route.vehicle_id in trucks:
            problems += _route(route, trucks[route.vehicle_id], stops, request, matrix)
    return problems


def _mandatory(request: CollectionRequest, plan: Plan) -> list[str]:
    """A mandatory container is served, or the plan is marked infeasible and names it."""
    served = set(plan.served_ids("container"))
    problems = []
    for stop in request.stops:
        if not stop.mandatory or stop.id in served:
            continue
        named = re.compile(rf"(?<![\w-]){re.escape(stop.id)}(?![\w-])")
        if plan.feasible or not any(named.search(p) for p in plan.problems):
            problems.append(f"mandatory {stop.id} is not served and not reported as a problem")
    return problems


def _route(
    route: Route,
    truck: Truck,
    stops: dict[str, ContainerStop],
    request: CollectionRequest,
    matrix: TravelMatrix,
) -> list[str]:
    unknown = unknown_places(route, matrix)
    if unknown:
        return unknown
    problems = metres_agree(route, matrix, [v.location_id for v in route.visits])
    if route.start_location_id != truck.depot.id or route.end_location_id != truck.depot.id:
        problems.append(f"{truck.id}: does not start and end at its depot")
    if route.departure < truck.shift_start:
        problems.append(f"{truck.id}: leaves at {route.departure}, before its shift")
    here, ready, load = route.start_location_id, route.departure, (0, 0)
    sites = {s.id: s for s in request.disposal_sites}
    for visit in route.visits:
        if visit.kind == "tip" and visit.id in sites:
            site = sites[visit.id]
            problems += at_its_place(route, visit, site.location.id)
            problems += reached_in_time(route, visit, here, ready, matrix, ())
            if load == (0, 0):
                problems.append(f"{truck.id}: tips at {visit.id} with nothing on board")
            load = (0, 0)
            problems += _duration(truck, visit, site.service)
            problems += _load_reported(truck, visit, load)
        elif visit.kind == "container" and visit.id in stops:
            stop = stops[visit.id]
            problems += at_its_place(route, visit, stop.location.id)
            waits = _wait_points(stop, request, truck)
            problems += reached_in_time(route, visit, here, ready, matrix, waits)
            load = (load[0] + stop.volume_l, load[1] + stop.weight_kg)
            problems += _container_rules(truck, visit, stop, request, load)
        else:
            problems.append(f"{truck.id}: unknown stop {visit.kind} {visit.id}")
        here, ready = visit.location_id, visit.departure
    if load != (0, 0):
        problems.append(f"{truck.id}: goes home loaded ({load[0]} L, {load[1]} kg)")
    tips = sum(1 for visit in route.visits if visit.kind == "tip")
    if tips > request.max_tips:
        problems.append(f"{truck.id}: {tips} tip runs, more than the {request.max_tips} allowed")
    problems += home_in_time(route, here, ready, matrix, truck.shift_end)
    worked = route.return_time - route.departure
    if truck.max_shift is not None and worked > truck.max_shift:
        problems.append(f"{truck.id}: works {worked} s, longer than {truck.max_shift} s")
    return problems


def _container_rules(
    truck: Truck,
    visit: Visit,
    stop: ContainerStop,
    request: CollectionRequest,
    load: tuple[int, int],
) -> list[str]:
    problems = _duration(truck, visit, stop.service)
    if load[0] > truck.capacity_l or load[1] > truck.capacity_kg:
        problems.append(f"{truck.id}: over capacity after {stop.id} ({load[0]} L, {load[1]} kg)")
    problems += _load_reported(truck, visit, load)
    if stop.windows and not any(a <= visit.start <= b for a, b in stop.windows):
        problems.append(f"{truck.id}: {stop.id} starts at {visit.start}, outside its windows")
    if not truck.shift_start <= visit.start <= truck.shift_end:
        problems.append(f"{truck.id}: {stop.id} starts outside the shift")
    if stop.quiet:
        end = visit.start + stop.service
        for quiet_start, quiet_end in request.quiet_hours:
            if visit.start < quiet_end and end > quiet_start:
                problems.append(f"{truck.id}: empties {stop.id} during quiet hours")
    return problems


def _duration(truck: Truck, visit: Visit, service: int) -> list[str]:
    if visit.departure - visit.start != service:
        return [f"{truck.id}: {visit.id} takes {visit.departure - visit.start} s, not {service} s"]
    return []


def _load_reported(truck: Truck, visit: Visit, load: tuple[int, int]) -> list[str]:
    if tuple(visit.load) != (float(load[0]), float(load[1])):
        return [f"{truck.id}: reports load {visit.load} after {visit.id}, not {load}"]
    return []


def _wait_points(stop: ContainerStop, request: CollectionRequest, truck: Truck) -> set[int]:
    """When a truck may have to wait for: a window to open, quiet hours to end, its shift."""
    points = {opens for opens, _ in stop.windows} | {truck.shift_start}
    if stop.quiet:
        points |= {quiet_end for _, quiet_end in request.quiet_hours}
    return points
