"""Arc lengths and times for the collection model, with the day's last tip run folded in.

From a container to the end of the route, a truck drives to the disposal site that makes the
way home shortest, tips, and drives home. From a tip node (already empty) it drives straight
home; from its own start (an unused truck) the route costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tilsyn.routing.waste_model import CollectionModel

TIP_COST_M = 500  # unloading takes a quarter of an hour; weigh each tip run like 500 m driving


def final_tip(model: CollectionModel, node: int, vehicle: int) -> int:
    """Index (into the request's disposal sites) of the best site between `node` and home."""
    metres, first_site = model.matrix.metres, model.setup.nodes
    depot = model.setup.trucks + vehicle
    sites = range(len(model.setup.request.disposal_sites))
    return min(sites, key=lambda s: metres[node][first_site + s] + metres[first_site + s][depot])


def home_via_tip(model: CollectionModel, node: int, vehicle: int) -> tuple[int, int]:
    """Metres and seconds from `node` through the best site (including unloading) to home."""
    site_index = final_tip(model, node, vehicle)
    site = model.setup.nodes + site_index
    depot = model.setup.trucks + vehicle
    metres, seconds = model.matrix.metres, model.matrix.seconds
    unload = model.setup.request.disposal_sites[site_index].service
    return (
        metres[node][site] + metres[site][depot],
        seconds[node][site] + unload + seconds[site][depot],
    )


def route_arcs(model: CollectionModel) -> tuple[list[list[int]], list[list[int]]]:
    """Arc cost (metres, plus a charge per tip run) and travel seconds between routing nodes."""
    setup = model.setup
    n, k = setup.nodes, setup.trucks
    metres = [list(row[:n]) for row in model.matrix.metres[:n]]
    seconds = [list(row[:n]) for row in model.matrix.seconds[:n]]
    for tip in range(2 * k, setup.first_stop_node):
        for row in metres:
            row[tip] += TIP_COST_M
    for vehicle in range(k):
        end = k + vehicle
        metres[vehicle][end] = seconds[vehicle][end] = 0
        for node in range(setup.first_stop_node, n):
            way_m, way_s = home_via_tip(model, node, vehicle)
            metres[node][end], seconds[node][end] = way_m + TIP_COST_M, way_s
    return metres, seconds
