"""Container physics and sensor firmware without the radio, for studies and tests.

A routing study drives the trucks itself: it reads what the sensors report, decides which
containers to empty, calls `empty`, and counts overflow from the ground truth.

    study = WasteStudy(load_scenario("herning", seed=1), start, collection="none")
    reports = study.advance(start + timedelta(days=1))
    study.empty("herning-g0001", at)
    hours = study.overflow_hours("herning-g0001", start, end)
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from tilsyn.sim.clock import LocalCalendar, to_seconds
from tilsyn.sim.devices.container_payload import Report
from tilsyn.sim.devices.container_sinks import ReportLog
from tilsyn.sim.devices.containers import ContainerFleet
from tilsyn.sim.faults import FaultBook
from tilsyn.sim.physics.fill import FillModel
from tilsyn.sim.scenario.collection import PlannedCollections
from tilsyn.sim.scenario.model import Scenario

STEP_S = 3600.0  # no downlinks here, so long windows lose nothing


class WasteStudy:
    """A scenario's containers from `start`; `collection="fixed"` follows the fixed plan."""

    def __init__(
        self,
        scenario: Scenario,
        start: datetime,
        *,
        collection: Literal["fixed", "none"] = "none",
    ) -> None:
        if scenario.collection is None:
            raise ValueError(f"scenario {scenario.name!r} has no containers to study")
        self.scenario, self.log, self.faults = scenario, ReportLog(), FaultBook()
        kinds = {c.container_id: c.waste_kind for c in scenario.containers}
        plan = PlannedCollections(scenario.collection, kinds, LocalCalendar(scenario.timezone))
        self.plan = plan if collection == "fixed" else None
        self._now = to_seconds(start)
        # The fill before `start` always follows the fixed plan: that is what the town did.
        last = plan.last_before(self._now)
        self.fleet = ContainerFleet(scenario, self.log, self.faults, self._now, last)

    @property
    def fill(self) -> FillModel:
        return self.fleet.fill

    def advance(self, until: datetime) -> list[Report]:
        """Simulates up to `until`; returns the reports sent meanwhile, in time order."""
        end, first = to_seconds(until), len(self.log.reports)
        while self._now < end:
            step_end = min(self._now + STEP_S, end)
            if self.plan is not None:
                planned = self.plan.between(self._now, step_end)
                index = self.fleet.index
                self.fleet.empty_many([index[c] for c, _ in planned], [at for _, at in planned])
            self.fleet.advance(self._now, step_end)
            self._now = step_end
        return self.log.reports[first:]

    def take_over(self) -> None:
        """From now on only `empty` empties containers: a study's own plan replaces the fixed
        one after a history that followed it."""
        self.plan = None

    def empty(self, container_id: str, at: datetime) -> None:
        self.fleet.empty(self.fleet.index[container_id], to_seconds(at))

    def fill_fraction(self, at: datetime) -> dict[str, float]:
        fractions = self.fleet.fill_fraction(to_seconds(at))
        return {s.container_id: float(f) for s, f in zip(self.fleet.specs, fractions, strict=True)}

    def overflow_hours(self, container_id: str, start: datetime, end: datetime) -> float:
        index = self.fleet.index[container_id]
        return self.fleet.ledger.overflow_hours(index, to_seconds(start), to_seconds(end))

    def emptyings(self) -> list[tuple[float, str]]:
        """(UTC seconds, container id) of every emptying so far."""
        return [(at, self.fleet.specs[i].container_id) for at, i, _ in self.fleet.ledger.entries]

    def emptied_fill(self) -> list[tuple[float, str, float]]:
        """(UTC seconds, container id, true fill fraction just before) of every emptying so
        far, in time order: what each truck visit actually found."""
        ledger, capacity = self.fleet.ledger, self.fill.capacity
        reference = ledger.initial_reference.copy()
        found = []
        for at, index, after in ledger.entries:
            litres = float(self.fill.cumulative(index, at)[0]) - reference[index]
            fraction = min(1.0, max(0.0, litres / capacity[index]))
            found.append((at, self.fleet.specs[index].container_id, fraction))
            reference[index] = after
        return found

    def overflow_hours_each(self, start: datetime, end: datetime) -> dict[str, float]:
        """`overflow_hours` of every container over [start, end), in one pass over the ledger."""
        ledger, first, last = self.fleet.ledger, to_seconds(start), to_seconds(end)
        fill_at_start = ledger.fill_litres(first)
        cuts: dict[int, list[tuple[float, float]]] = {}
        for at, index, after in ledger.entries:
            if first < at < last:
                cuts.setdefault(index, []).append((at, after))
        hours = {}
        for index, spec in enumerate(self.fleet.specs):
            since, fill, total = first, float(fill_at_start[index]), 0.0
            for at, after in cuts.get(index, ()):
                total += self.fill.overflow_hours(index, fill, since, at)
                since = at
                fill = max(0.0, float(self.fill.cumulative(index, at)[0]) - after)
            hours[spec.container_id] = total + self.fill.overflow_hours(index, fill, since, last)
        return hours
