"""Readings from the simulator's patients: the agent's stand-in for real Bluetooth devices.

Built on the simulator's public classes (scenario, physiology, episodes), not on its hubs: those
wrap readings in their own MQTT envelope, which is the agent's job here. A reading depends only
on the seed, the patient, the kind and the instant, so a restarted agent measures the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tilsyn.edge.sources import DeviceStatus, RawReading, Schedule, reading_id
from tilsyn.sim.clock import LocalCalendar
from tilsyn.sim.physics.episodes import EpisodeBook
from tilsyn.sim.physics.vitals import Physiology
from tilsyn.sim.scenario.loader import load_scenario
from tilsyn.sim.scenario.specs_care import PatientSpec
from tilsyn.sim.seeding import python_stream

BATTERY_PER_READING = 0.05  # percent: a Bluetooth transfer from a coin-cell device
BATTERY_PER_DAY = 0.1  # percent: self-discharge and advertising


class SimulatedSource:
    def __init__(self, scenario_name: str, seed: int, hub_id: str) -> None:
        scenario = load_scenario(scenario_name, seed)
        self.scenario, self.seed, self.hub_id = scenario, seed, hub_id
        self._patients = {p.patient_id: p for p in scenario.patients if p.hub_id == hub_id}
        if not self._patients:
            known = ", ".join(h.hub_id for h in scenario.hubs[:3])
            raise KeyError(f"scenario {scenario_name} has no hub {hub_id!r} (e.g. {known})")
        calendar = LocalCalendar(scenario.timezone)
        episodes = EpisodeBook(scenario.patients, scenario.episodes, seed)
        self.body = Physiology(scenario.variation, episodes, calendar, seed)
        self.timezone = scenario.timezone
        self.start = scenario.default_start.timestamp()
        self._battery: dict[str, float] = {}
        self._seen: dict[str, tuple[str, float]] = {}

    def patients(self) -> Sequence[str]:
        return list(self._patients)

    def default_schedule(self, patient_id: str) -> Schedule:
        schedule: dict[str, list[str]] = {}
        for plan in self._patients[patient_id].measurements:
            schedule.setdefault(plan.kind, [])
            schedule[plan.kind] += [t for t in plan.schedule.times if t not in schedule[plan.kind]]
        return schedule

    def measure(self, patient_id: str, kind: str, at: float) -> RawReading | None:
        patient = self._patients[patient_id]
        plans = [plan for plan in patient.measurements if plan.kind == kind]
        if not plans:
            return None  # the platform scheduled a kind this home has no device for
        device_id = f"{self.hub_id}-{plans[0].device_id}"
        self._drain(device_id, plans[0].device_id, at)
        return {
            "reading_id": reading_id(self.hub_id, patient_id, kind, at),
            "patient_id": patient_id,
            "kind": kind,
            "value": self._value(patient, kind, at),
            "taken_at": datetime.fromtimestamp(int(at), UTC),
            "device_id": device_id,
        }

    def _value(self, patient: PatientSpec, kind: str, at: float) -> float | tuple[float, float]:
        rng = python_stream(self.seed, "edge-measure", patient.patient_id, kind, int(at))
        if kind == "blood_pressure":
            systolic = self.body.measure(patient, "systolic", at, rng)
            return systolic, self.body.measure(patient, "diastolic", at, rng)
        return self.body.measure(patient, kind, at, rng)

    def _drain(self, device_id: str, device_kind: str, at: float) -> None:
        if device_id not in self._battery:
            rng = python_stream(self.seed, "edge-battery", device_id)
            self._battery[device_id] = rng.uniform(60.0, 100.0)
        last = self._seen.get(device_id, (device_kind, at))[1]
        idle_days = max(0.0, at - last) / 86_400
        level = self._battery[device_id] - BATTERY_PER_READING - BATTERY_PER_DAY * idle_days
        self._battery[device_id] = max(level, 0.0)
        self._seen[device_id] = (device_kind, at)

    def devices(self) -> list[DeviceStatus]:
        return [
            DeviceStatus(device_id, kind, round(self._battery[device_id]), at)
            for device_id, (kind, at) in sorted(self._seen.items())
        ]
