"""From solver node sequences to truck routes with ETAs, km and load after every stop."""

from __future__ import annotations

import itertools

from tilsyn.routing.plans import Route, Visit
from tilsyn.routing.timeline import Stop, Timing, forward_pass, latest_departure
from tilsyn.routing.waste_arcs import final_tip, home_via_tip
from tilsyn.routing.waste_model import CollectionModel


def collection_routes(model: CollectionModel, routes: list[list[int]]) -> tuple[Route, ...]:
    """One route per truck, in the request's order (an idle truck gets an empty route)."""
    return tuple(_route(model, vehicle, nodes) for vehicle, nodes in enumerate(routes))


def _route(model: CollectionModel, vehicle: int, nodes: list[int]) -> Route:
    truck = model.setup.request.trucks[vehicle]
    if not nodes:
        return Route(
            truck.id, truck.depot.id, truck.depot.id, truck.shift_start, (), truck.shift_start, 0
        )
    seconds, metres = model.matrix.seconds, model.matrix.metres
    stops = [_stop(model, n) for n in nodes]
    departure = latest_departure(vehicle, truck.shift_start, stops, seconds)
    timings = forward_pass(vehicle, departure, stops, seconds)
    visits = _visits(model, nodes, timings)
    driven = sum(metres[a][b] for a, b in itertools.pairwise([vehicle, *nodes]))
    last, home = nodes[-1], model.setup.trucks + vehicle
    if model.is_tip(last):
        driven += metres[last][home]
        back = timings[-1].departure + seconds[last][home]
    else:
        visits.append(_final_tip(model, vehicle, last, timings[-1]))
        way_m, way_s = home_via_tip(model, last, vehicle)
        driven += way_m
        back = timings[-1].departure + way_s
    return Route(truck.id, truck.depot.id, truck.depot.id, departure, tuple(visits), back, driven)


def _visits(model: CollectionModel, nodes: list[int], timings: list[Timing]) -> list[Visit]:
    visits, volume, weight = [], 0, 0
    for node, t in zip(nodes, timings, strict=True):
        if model.is_tip(node):
            site = model.tip_at(node)
            volume, weight = 0, 0
            visits.append(
                Visit(site.id, site.location.id, "tip", t.arrival, t.start, t.departure, (0.0, 0.0))
            )
            continue
        stop = model.stop_at(node)
        volume, weight = volume + stop.volume_l, weight + stop.weight_kg
        load = (float(volume), float(weight))
        visits.append(
            Visit(stop.id, stop.location.id, "container", t.arrival, t.start, t.departure, load)
        )
    return visits


def _final_tip(model: CollectionModel, vehicle: int, last: int, after: Timing) -> Visit:
    index = final_tip(model, last, vehicle)
    site = model.setup.request.disposal_sites[index]
    arrival = after.departure + model.matrix.seconds[last][model.setup.nodes + index]
    return Visit(
        site.id, site.location.id, "tip", arrival, arrival, arrival + site.service, (0.0, 0.0)
    )


def _stop(model: CollectionModel, node: int) -> Stop:
    setup = model.setup
    if model.is_tip(node):
        return Stop(node, (setup.day,), model.tip_at(node).service)
    stop = model.stop_at(node)
    return Stop(node, setup.request.allowed_windows(stop, setup.day), stop.service)
