"""Faults on demand: what a broken sensor, a drifting clock or a hiccuping network produce.

Sensor faults change what a device measures, clock drift changes when and with which
timestamps it reports, delivery faults change how the network server publishes its uplinks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal[
    "stuck",  # the sensor repeats the reading it had when the fault began
    "noise",  # readings scatter with standard deviation `magnitude` (mm; default 150)
    "tilt",  # the container is knocked over: tilt alarm, then readings of a sideways sensor
    "fire",  # temperature climbs to `magnitude` °C (default 120) and echoes go erratic
    "clock_drift",  # the device clock runs fast by `magnitude` parts per million
    "duplicate",  # each uplink is published twice with the same deduplication id
    "out_of_order",  # uplinks held back `magnitude` s (default 900): later ones overtake them
    "replay",  # each uplink reappears later with the same frame counter and a new id
    "corrupt",  # payloads are damaged so that the decoder must reject them
]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "stuck",
    "noise",
    "tilt",
    "fire",
    "clock_drift",
    "duplicate",
    "out_of_order",
    "replay",
    "corrupt",
)
SENSOR_FAULTS = frozenset({"stuck", "noise", "tilt", "fire"})
DEFAULT_MAGNITUDE: dict[str, float] = {
    "noise": 150.0,
    "fire": 120.0,
    "clock_drift": 20_000.0,
    "out_of_order": 900.0,
    "replay": 3_600.0,
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault on one device (dev_eui, container id or hub id) from `start` to `end`
    (UTC seconds; use `Simulation.inject_fault` to pass datetimes)."""

    kind: FaultKind
    device: str
    start: float
    end: float
    magnitude: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {FAULT_KINDS}")
        if self.end <= self.start:
            raise ValueError("a fault must end after it starts")

    @property
    def value(self) -> float:
        """The magnitude, or the kind's default."""
        if self.magnitude is not None:
            return self.magnitude
        return DEFAULT_MAGNITUDE.get(self.kind, 0.0)

    def active(self, at: float) -> bool:
        return self.start <= at < self.end


class FaultBook:
    """All injected faults, looked up by device key and kind."""

    def __init__(self) -> None:
        self._by_device: dict[str, list[Fault]] = defaultdict(list)
        self._kind_cache: dict[str, tuple[int, list[tuple[str, Fault]]]] = {}
        self.version = 0

    def add(self, fault: Fault, device_key: str) -> None:
        self._by_device[device_key].append(fault)
        self.version += 1

    def active(self, device_key: str, kind: str, at: float) -> Fault | None:
        if not self.version:
            return None
        for fault in self._by_device.get(device_key, ()):
            if fault.kind == kind and fault.active(at):
                return fault
        return None

    def of_kind(self, kind: str) -> list[tuple[str, Fault]]:
        return [
            (key, f) for key, faults in self._by_device.items() for f in faults if f.kind == kind
        ]
