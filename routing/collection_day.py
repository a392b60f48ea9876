"""One collection day from forecasts: select the containers, then plan the trucks.

This is the call a multi-day study makes once per simulated day: it hands in that morning's
forecasts and gets back both what was chosen and how it was driven.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tilsyn.routing.bounds import Window
from tilsyn.routing.params import Stop
from tilsyn.routing.plans import Plan
from tilsyn.routing.travel import CachedTravel
from tilsyn.routing.waste import CollectionRequest, DisposalSite, Truck
from tilsyn.routing.waste_select import ContainerForecast, SelectionPolicy, select_stops
from tilsyn.routing.waste_solver import COLLECTION_BUDGET, solve_collection


@dataclass(frozen=True)
class Fleet:
    trucks: tuple[Truck, ...]
    disposal_sites: tuple[DisposalSite, ...]
    quiet_hours: tuple[Window, ...] = ()
    max_tips: int = 3


@dataclass(frozen=True)
class CollectionDay:
    request: CollectionRequest
    plan: Plan

    @property
    def emptied(self) -> list[str]:
        return self.plan.served_ids("container")


def plan_collection_day(
    origin: datetime,
    forecasts: Sequence[ContainerForecast],
    fleet: Fleet,
    policy: SelectionPolicy,
    travel: CachedTravel,
    stop: Stop = COLLECTION_BUDGET,
    seed: int = 0,
) -> CollectionDay:
    request = CollectionRequest(
        origin=origin,
        trucks=fleet.trucks,
        disposal_sites=fleet.disposal_sites,
        stops=select_stops(forecasts, policy),
        quiet_hours=fleet.quiet_hours,
        max_tips=fleet.max_tips,
    )
    return CollectionDay(request, solve_collection(request, travel, stop, seed))
