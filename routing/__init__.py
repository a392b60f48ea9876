"""Route optimisation with OR-Tools: waste collection and night-nurse visits.

The public API is re-exported here and loaded on first use, so that importing the package (as
the `tilsyn` command line does for `--help`) does not load OR-Tools.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "tilsyn.routing.checks": ["check_collection_plan", "check_night_plan", "check_solomon"],
    "tilsyn.routing.collection_day": ["CollectionDay", "Fleet", "plan_collection_day"],
    "tilsyn.routing.geo": ["Location"],
    "tilsyn.routing.io": ["load_request", "parse_request", "plan_json", "request_json"],
    "tilsyn.routing.nurse": [
        "Competence",
        "LiveNight",
        "NightPlanRequest",
        "Nurse",
        "NurseOnRoad",
        "NurseTask",
        "Priority",
    ],
    "tilsyn.routing.nurse_live": ["live_from_plan"],
    "tilsyn.routing.nurse_solver": ["replan_night", "solve_night_plan"],
    "tilsyn.routing.osrm": ["OsrmTableSource", "TravelServiceError"],
    "tilsyn.routing.params": ["Stop"],
    "tilsyn.routing.plans": ["Dropped", "Plan", "Route", "Visit"],
    "tilsyn.routing.settings": ["RoutingSettings"],
    "tilsyn.routing.solomon": ["SolomonInstance", "read_best_known", "read_instance"],
    "tilsyn.routing.solomon_solver": [
        "SolomonParams",
        "SolomonResult",
        "SisrRuin",
        "solve_solomon",
    ],
    "tilsyn.routing.travel": ["CachedTravel", "HaversineSource", "TravelMatrix", "TravelSource"],
    "tilsyn.routing.waste": ["CollectionRequest", "ContainerStop", "DisposalSite", "Truck"],
    "tilsyn.routing.waste_select": ["ContainerForecast", "SelectionPolicy", "select_stops"],
    "tilsyn.routing.waste_solver": ["solve_collection"],
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "CachedTravel",
    "CollectionDay",
    "CollectionRequest",
    "Competence",
    "ContainerForecast",
    "ContainerStop",
    "DisposalSite",
    "Dropped",
    "Fleet",
    "HaversineSource",
    "LiveNight",
    "Location",
    "NightPlanRequest",
    "Nurse",
    "NurseOnRoad",
    "NurseTask",
    "OsrmTableSource",
    "Plan",
    "Priority",
    "Route",
    "RoutingSettings",
    "SelectionPolicy",
    "SisrRuin",
    "SolomonInstance",
    "SolomonParams",
    "SolomonResult",
    "Stop",
    "TravelMatrix",
    "TravelServiceError",
    "TravelSource",
    "Truck",
    "Visit",
    "check_collection_plan",
    "check_night_plan",
    "check_solomon",
    "live_from_plan",
    "load_request",
    "parse_request",
    "plan_collection_day",
    "plan_json",
    "read_best_known",
    "read_instance",
    "replan_night",
    "request_json",
    "select_stops",
    "solve_collection",
    "solve_night_plan",
    "solve_solomon",
]

if TYPE_CHECKING:
    from tilsyn.routing.checks import check_collection_plan, check_night_plan, check_solomon
    from tilsyn.routing.collection_day import CollectionDay, Fleet, plan_collection_day
    from tilsyn.routing.geo import Location
    from tilsyn.routing.io import load_request, parse_request, plan_json, request_json
    from tilsyn.routing.nurse import (
        Competence,
        LiveNight,
        NightPlanRequest,
        Nurse,
        NurseOnRoad,
        NurseTask,
        Priority,
    )
    from tilsyn.routing.nurse_live import live_from_plan
    from tilsyn.routing.nurse_solver import replan_night, solve_night_plan
    from tilsyn.routing.osrm import OsrmTableSource, TravelServiceError
    from tilsyn.routing.params import Stop
    from tilsyn.routing.plans import Dropped, Plan, Route, Visit
    from tilsyn.routing.settings import RoutingSettings
    from tilsyn.routing.solomon import SolomonInstance, read_best_known, read_instance
    from tilsyn.routing.solomon_solver import SisrRuin, SolomonParams, SolomonResult, solve_solomon
    from tilsyn.routing.travel import CachedTravel, HaversineSource, TravelMatrix, TravelSource
    from tilsyn.routing.waste import CollectionRequest, ContainerStop, DisposalSite, Truck
    from tilsyn.routing.waste_select import ContainerForecast, SelectionPolicy, select_stops
    from tilsyn.routing.waste_solver import solve_collection


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'tilsyn.routing' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME[name]), name)
