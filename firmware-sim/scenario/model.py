"""A loaded scenario: every registry record and parameter a simulation or a study needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from tilsyn.sim.faults import Fault
from tilsyn.sim.scenario.specs_care import (
    EpisodeParams,
    HubSpec,
    LocationSpec,
    NightTaskSpec,
    NurseSpec,
    PatientSpec,
    QuestionSpec,
    UnitSpec,
    Variation,
)
from tilsyn.sim.scenario.specs_hospital import BadgeSpec, DispenserSpec, WardSpec, ZoneSpec
from tilsyn.sim.scenario.specs_lorawan import NetworkSpec
from tilsyn.sim.scenario.specs_waste import (
    CollectionPlan,
    ContainerSpec,
    SensorFirmwareParams,
    TouristPeak,
    WasteKindParams,
)


class NightTaskSource(Protocol):
    """Planned nurse-only tasks for the night that starts on a given local date."""

    def tasks(self, night: date) -> tuple[NightTaskSpec, ...]: ...


@dataclass(frozen=True)
class Scenario:
    """A scenario as data. Fields that do not apply to a scenario's kind stay empty.

    `parameters` keeps the scenario file as read, so studies can quote the very numbers the
    simulation used; `faults` are the ones the file asks for (the demo's scripted incidents).
    """

    name: str
    kind: str
    seed: int
    description: str
    timezone: str
    default_start: datetime
    default_days: float
    parameters: Mapping[str, Any]
    network: NetworkSpec | None = None
    firmware: SensorFirmwareParams | None = None
    waste_kinds: Mapping[str, WasteKindParams] = field(default_factory=dict)
    tourist_peaks: tuple[TouristPeak, ...] = ()
    containers: tuple[ContainerSpec, ...] = ()
    collection: CollectionPlan | None = None
    wards: tuple[WardSpec, ...] = ()
    zones: tuple[ZoneSpec, ...] = ()
    dispensers: tuple[DispenserSpec, ...] = ()
    badges: tuple[BadgeSpec, ...] = ()
    patients: tuple[PatientSpec, ...] = ()
    hubs: tuple[HubSpec, ...] = ()
    episodes: Mapping[str, EpisodeParams] = field(default_factory=dict)
    variation: Mapping[str, Variation] = field(default_factory=dict)
    questionnaire_items: Mapping[str, tuple[QuestionSpec, ...]] = field(default_factory=dict)
    units: tuple[UnitSpec, ...] = ()
    locations: tuple[LocationSpec, ...] = ()
    nurses: tuple[NurseSpec, ...] = ()
    night_tasks: NightTaskSource | None = None
    faults: tuple[Fault, ...] = ()

    def counts(self) -> dict[str, int]:
        """Non-empty record counts, for `tilsyn sim scenarios`."""
        counts = {
            "containers": len(self.containers),
            "gateways": len(self.network.gateways) if self.network else 0,
            "wards": len(self.wards),
            "zones": len(self.zones),
            "dispensers": len(self.dispensers),
            "badges": len(self.badges),
            "patients": len(self.patients),
            "hubs": len(self.hubs),
            "units": len(self.units),
            "locations": len(self.locations),
            "nurses": len(self.nurses),
        }
        return {key: value for key, value in counts.items() if value}

    def container(self, container_id: str) -> ContainerSpec:
        for spec in self.containers:
            if spec.container_id == container_id:
                return spec
        raise KeyError(f"no container {container_id!r} in scenario {self.name!r}")

    def patient(self, patient_id: str) -> PatientSpec:
        for spec in self.patients:
            if spec.patient_id == patient_id:
                return spec
        raise KeyError(f"no patient {patient_id!r} in scenario {self.name!r}")
