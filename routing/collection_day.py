"""One collection day from forecasts: select the containers, then plan the trucks.

This is the call a multi-day study makes once per simulated day: it hands in that morning's
forecasts and gets back both what was chosen and how it was driven.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

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
    fleet = on_the_clock(fleet, origin)
    request = CollectionRequest(
        origin=origin,
        trucks=fleet.trucks,
        disposal_sites=fleet.disposal_sites,
        stops=select_stops(forecasts, policy),
        quiet_hours=fleet.quiet_hours,
        max_tips=fleet.max_tips,
    )
    return CollectionDay(request, solve_collection(request, travel, stop, seed))


def on_the_clock(fleet: Fleet, origin: datetime) -> Fleet:
    """The fleet's shifts and quiet hours as real seconds from `origin`, the day's local
    midnight. They are written as wall-clock seconds from midnight (06:00 is 21,600), which is
    the same on every day but the two daylight-saving days: there 06:00 comes 5 or 7 hours
    after midnight. A naive origin has no such days."""
    if origin.tzinfo is None:
        return fleet

    def real(wall_s: int) -> int:
        on_the_wall = origin + timedelta(seconds=wall_s)  # Python adds on the wall clock
        return round((on_the_wall.astimezone(UTC) - origin.astimezone(UTC)).total_seconds())

    trucks = tuple(
        replace(t, shift_start=real(t.shift_start), shift_end=real(t.shift_end))
        for t in fleet.trucks
    )
    quiet = tuple((real(start), real(end)) for start, end in fleet.quiet_hours)
    return replace(fleet, trucks=trucks, quiet_hours=quiet)
