"""The fixed weekly collection plan: each district's route on a fixed weekday, as today.

Glass, paper and residual waste of a district are collected on different weekdays; a route
visits its containers in order of bearing around the district centre, starting at
`start_hour`, one stop every `minutes_per_stop[kind]` minutes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from tilsyn.sim.clock import LocalCalendar, weekday_of_day
from tilsyn.sim.scenario.specs_waste import (
    CollectionPlan,
    CollectionSlot,
    ContainerSpec,
    WasteKindParams,
)
from tilsyn.sim.seeding import python_stream

WEEKDAY_SHIFT = {"residual": 0, "paper": 2, "glass": 4}  # spread the trucks over the week


def fixed_plan(
    seed: int,
    containers: Sequence[ContainerSpec],
    kinds: Mapping[str, WasteKindParams],
    section: Mapping[str, Any],
    district_centres: Sequence[tuple[float, float]],
) -> CollectionPlan:
    rng = python_stream(seed, "collection-plan")
    routes: dict[tuple[int, str], list[ContainerSpec]] = {}
    for spec in containers:
        routes.setdefault((spec.district, spec.waste_kind), []).append(spec)
    slots = []
    for (district, kind), members in sorted(routes.items()):
        interval_weeks = max(1, round(kinds[kind].collection_interval_days / 7))
        week_offset = rng.randrange(interval_weeks)
        weekday = (district + WEEKDAY_SHIFT[kind]) % 5
        lat0, lon0 = district_centres[district]
        members.sort(key=lambda c: math.atan2(c.lat - lat0, c.lon - lon0))
        for position, spec in enumerate(members):
            slots.append(
                CollectionSlot(spec.container_id, weekday, interval_weeks, week_offset, position)
            )
    minutes = {str(k): float(v) for k, v in section["minutes_per_stop"].items()}
    return CollectionPlan(tuple(slots), float(section["start_hour"]), minutes)


def week_number(day: int) -> int:
    """Weeks since the Monday before 1970-01-01 (a Thursday)."""
    return (day + 3) // 7


class PlannedCollections:
    """When the fixed plan empties which container; each local day is worked out once."""

    def __init__(
        self, plan: CollectionPlan, kinds_by_container: Mapping[str, str], calendar: LocalCalendar
    ) -> None:
        self._plan, self._kinds, self._calendar = plan, kinds_by_container, calendar
        self._by_weekday: dict[int, list[CollectionSlot]] = {}
        for slot in plan.slots:
            self._by_weekday.setdefault(slot.weekday, []).append(slot)
        self._days: dict[int, list[tuple[str, float]]] = {}

    def on_day(self, day: int) -> list[tuple[str, float]]:
        """(container id, UTC seconds) of the emptyings on a local day, in time order."""
        if day not in self._days:
            week = week_number(day)
            found = []
            for slot in self._by_weekday.get(int(weekday_of_day(day)), ()):
                if week % slot.interval_weeks == slot.week_offset:
                    minutes = self._plan.minutes_per_stop[self._kinds[slot.container_id]]
                    hour = self._plan.start_hour + slot.route_position * minutes / 60
                    found.append((slot.container_id, self._calendar.at_local(day, hour)))
            self._days[day] = sorted(found, key=lambda item: item[1])
        return self._days[day]

    def between(self, start: float, end: float) -> list[tuple[str, float]]:
        """Every planned emptying in [start, end), in time order."""
        days = range(self._calendar.day_of(start), self._calendar.day_of(end) + 1)
        return [item for day in days for item in self.on_day(day) if start <= item[1] < end]

    def last_before(self, at: float) -> dict[str, float]:
        """Each container's most recent planned emptying before `at` (for the initial fill)."""
        longest = max(slot.interval_weeks for slot in self._plan.slots) * 7 + 1
        return dict(self.between(at - longest * 86_400.0, at))
