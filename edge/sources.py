"""Where the agent reads its local devices: the seam between Bluetooth and the queue.

A source answers "measure this patient's kind now" with the raw fields of a reading (validated
by the agent, which counts what fails) and reports its devices' batteries. The hub prompts the
patient at the plan's times; a source decides what the device then reports.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

READING_NAMESPACE = uuid.UUID("6f1c7e52-4c1b-4f0e-9d7e-3a1f2b8c9d01")

RawReading = Mapping[str, Any]
Schedule = Mapping[str, Sequence[str]]  # kind -> local times "HH:MM"


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    device_id: str
    kind: str
    battery_percent: int | None
    last_seen: float | None  # wall-clock seconds


class DeviceSource(Protocol):
    def patients(self) -> Sequence[str]: ...

    def default_schedule(self, patient_id: str) -> Schedule:
        """The schedule to follow until the platform pushes one."""
        ...

    def measure(self, patient_id: str, kind: str, at: float) -> RawReading | None:
        """What the patient's device reports for a measurement at `at`; None if no device."""
        ...

    def devices(self) -> list[DeviceStatus]: ...


def reading_id(hub_id: str, patient_id: str, kind: str, at: float) -> str:
    """The same measurement always gets the same id, whichever run of the agent takes it."""
    return str(uuid.uuid5(READING_NAMESPACE, f"{hub_id}/{patient_id}/{kind}/{at:.3f}"))


class MemorySource:
    """Devices whose next values the caller sets: for tests and for bench runs."""

    def __init__(self, hub_id: str, schedules: Mapping[str, Schedule]) -> None:
        self.hub_id = hub_id
        self.schedules = dict(schedules)
        self.values: dict[tuple[str, str], Any] = {}
        self._seen: dict[str, float] = {}

    def patients(self) -> Sequence[str]:
        return list(self.schedules)

    def default_schedule(self, patient_id: str) -> Schedule:
        return self.schedules[patient_id]

    def measure(self, patient_id: str, kind: str, at: float) -> RawReading | None:
        if (patient_id, kind) not in self.values:
            return None
        device_id = f"{self.hub_id}-{kind.replace('_', '-')}"
        self._seen[device_id] = at
        return {
            "reading_id": reading_id(self.hub_id, patient_id, kind, at),
            "patient_id": patient_id,
            "kind": kind,
            "value": self.values[(patient_id, kind)],
            "taken_at": datetime.fromtimestamp(int(at), UTC),
            "device_id": device_id,
        }

    def devices(self) -> list[DeviceStatus]:
        return [DeviceStatus(d, "memory", None, at) for d, at in sorted(self._seen.items())]
