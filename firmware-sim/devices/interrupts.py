"""Reports the accelerometer triggers outside the sampling schedule.

A crane lifting an igloo to empty it turns the sensor upside down: the tilt alarm goes out at
once, and the all-clear when the container is back, now empty (platforms use this pair to
detect emptyings). A container knocked over (tilt fault) raises the alarm until it is set
upright. Models without an accelerometer (LDDS75) send neither.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tilsyn.sim.devices.container_payload import Report
from tilsyn.sim.devices.container_sensing import SIDEWAYS_MM

if TYPE_CHECKING:
    from tilsyn.sim.devices.containers import ContainerFleet

LIFT_S = (60.0, 150.0)  # from hook-on to the container standing again


@dataclass(frozen=True, slots=True)
class Pending:
    """An interrupt to report when its time comes; `reference` is the fill reference then."""

    at: float
    index: int
    reference: float
    tilted: bool


class InterruptReports:
    def __init__(self, fleet: ContainerFleet, rng: random.Random) -> None:
        self.fleet, self.rng = fleet, rng
        self._queue: list[Pending] = []
        self._tilt_seen: set[tuple[str, float]] = set()

    def emptied(self, index: int, at: float, reference: float) -> None:
        a = self.fleet.a
        if not (a.lifted_by_crane[index] and a.has_accelerometer[index]):
            return
        back = at + self.rng.uniform(*LIFT_S)
        self._queue.append(Pending(at, index, reference, tilted=True))
        self._queue.append(Pending(back, index, reference, tilted=False))

    def _tilt_faults(self, start: float, end: float) -> None:
        for eui, fault in self.fleet.faults.of_kind("tilt"):
            index = self.fleet.by_eui.get(eui)
            if index is None or not self.fleet.a.has_accelerometer[index]:
                continue
            if (eui, fault.start) in self._tilt_seen or not start <= fault.start < end:
                continue
            self._tilt_seen.add((eui, fault.start))
            reference = float(self.fleet.a.reference[index])
            self._queue.append(Pending(fault.start, index, reference, tilted=True))
            self._queue.append(Pending(fault.end, index, reference, tilted=False))

    def _measure(self, due: list[Pending]) -> list[Report]:
        """Readings of the due interrupts, vectorised: sideways when tilted, else the surface."""
        a = self.fleet.a
        idx = np.array([p.index for p in due], dtype=np.int64)
        at = np.array([p.at for p in due])
        references = np.array([p.reference for p in due])
        share = np.clip((self.fleet.fill.cumulative(idx, at) - references) / a.capacity[idx], 0, 1)
        surface = a.empty_mm[idx] - share * a.range_mm[idx]
        temperatures = self.fleet.sensing.temperatures(idx, at)
        reports = []
        for pending, level, celsius in zip(
            due, surface.tolist(), temperatures.tolist(), strict=True
        ):
            sideways = self.rng.uniform(*SIDEWAYS_MM)
            distance = round(sideways if pending.tilted else level + self.rng.gauss(0, 6.0))
            tilted = pending.tilted
            reports.append(Report(pending.at, pending.index, distance, celsius, tilted, tilted))
        return reports

    def due(self, start: float, end: float) -> list[Report]:
        """Interrupt reports in [start, end) of devices whose battery still works."""
        self._tilt_faults(start, end)
        charge = self.fleet.battery.charge
        due = [p for p in self._queue if p.at < end and charge[p.index] > 0]
        self._queue = [p for p in self._queue if p.at >= end]
        return self._measure(due) if due else []
