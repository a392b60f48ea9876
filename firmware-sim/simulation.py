"""A simulation of one scenario: steps simulated time, yields emissions in delivery order, and
takes the operator's actions (emptyings, downlinks, faults, episodes) along the way.

Time advances in windows (15 simulated minutes by default); an action takes effect from the
first instant not yet simulated, so in a live demo it lags by at most one window.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal, Protocol

from tilsyn.sim.clock import LocalCalendar, to_datetime, to_seconds
from tilsyn.sim.controls import parse_downlink_command
from tilsyn.sim.devices.config_downlinks import interval_downlink
from tilsyn.sim.devices.container_sinks import LorawanSink
from tilsyn.sim.devices.containers import ContainerFleet
from tilsyn.sim.devices.hubs import HubFleet
from tilsyn.sim.devices.hygiene import HygieneFleet
from tilsyn.sim.directory import DeviceDirectory
from tilsyn.sim.emission import Emission
from tilsyn.sim.envelopes import ChirpStackFormat, TtsFormat
from tilsyn.sim.faults import SENSOR_FAULTS, Fault, FaultBook, FaultKind
from tilsyn.sim.lorawan.delivery import Delivery, LorawanFormat
from tilsyn.sim.lorawan.network import LorawanNetwork
from tilsyn.sim.outbox import Outbox
from tilsyn.sim.physics.episodes import Episode
from tilsyn.sim.scenario.collection import PlannedCollections
from tilsyn.sim.scenario.model import Scenario

DEFAULT_WINDOW_S = 900.0


class Fleet(Protocol):
    def advance(self, start: float, end: float) -> None: ...


class Simulation:
    """Devices, network and physics of one scenario.

    `lorawan_format` picks the LoRaWAN integration ("chirpstack" or "tts");
    `collection="fixed"` lets trucks follow the scenario's fixed plan, "none" leaves every
    emptying to `empty_container` (a study driving its own plan).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        lorawan_format: Literal["chirpstack", "tts"] = "chirpstack",
        collection: Literal["fixed", "none"] = "fixed",
        window_s: float = DEFAULT_WINDOW_S,
        emit_defaults: bool = False,
    ) -> None:
        self.scenario = scenario
        self.window_s = window_s
        self.outbox = Outbox()
        self.faults = FaultBook()
        formatter: LorawanFormat = (
            TtsFormat()
            if lorawan_format == "tts"
            else ChirpStackFormat(emit_defaults=emit_defaults)
        )
        self.network = self._network(formatter)
        self.directory = DeviceDirectory(scenario)
        self.calendar = LocalCalendar(scenario.timezone)
        self.collections = (
            PlannedCollections(
                scenario.collection,
                {c.container_id: c.waste_kind for c in scenario.containers},
                self.calendar,
            )
            if scenario.collection is not None and collection == "fixed"
            else None
        )
        self.containers: ContainerFleet | None = None
        self.hygiene: HygieneFleet | None = None
        self.hubs: HubFleet | None = None
        self._fleets: list[Fleet] = []
        self._now: float | None = None
        for fault in scenario.faults:
            self._add_fault(fault)

    def _network(self, formatter: LorawanFormat) -> LorawanNetwork | None:
        spec = self.scenario.network
        if spec is None:
            return None
        delivery = Delivery(
            self.outbox,
            formatter,
            self.faults,
            spec.background,
            spec.radio.dedup_delay_s,
            self.scenario.seed,
        )
        return LorawanNetwork(spec, self.scenario.seed, delivery, self.faults)

    def _begin(self, start: float) -> None:
        scenario = self.scenario
        if scenario.containers and self.network is not None:
            last = self.collections.last_before(start) if self.collections else {}
            sink = LorawanSink(self.network)
            self.containers = ContainerFleet(scenario, sink, self.faults, start, last)
            self._fleets.append(self.containers)
        if (scenario.badges or scenario.dispensers) and self.network is not None:
            self.hygiene = HygieneFleet(scenario, self.network, self.faults, start)
            self._fleets.append(self.hygiene)
        if scenario.hubs:
            self.hubs = HubFleet(scenario, self.outbox, self.faults)
            self._fleets.append(self.hubs)
        self._now = start

    @property
    def now(self) -> datetime | None:
        """The first simulated instant not yet simulated (None before the first run)."""
        return None if self._now is None else to_datetime(self._now)

    def run(
        self, start: datetime | None = None, duration: timedelta | None = None
    ) -> Iterator[Emission]:
        """Emissions delivered in [start, start + duration), in delivery order.

        The first call starts the simulation (default: the scenario's start); later calls
        continue where the previous one stopped (`start` may be omitted or must match).
        Deliveries held back past the end come out of the next call.
        """
        if self._now is None:
            self._begin(to_seconds(start or self.scenario.default_start))
        elif start is not None and abs(to_seconds(start) - float(self._now)) > 1e-3:
            raise ValueError(f"the simulation continues at {self.now}, not at {start}")
        length = duration if duration is not None else timedelta(days=self.scenario.default_days)
        assert self._now is not None
        return self._steps(self._now + length.total_seconds())

    def _steps(self, end: float) -> Iterator[Emission]:
        while self._now is not None and self._now < end:
            step_end = min(self._now + self.window_s, end)
            self._step(self._now, step_end)
            self._now = step_end
            yield from self.outbox.pop_before(step_end)

    def _step(self, start: float, end: float) -> None:
        if self.collections is not None and self.containers is not None:
            planned = self.collections.between(start, end)
            index = self.containers.index
            self.containers.empty_many([index[c] for c, _ in planned], [at for _, at in planned])
        for fleet in self._fleets:
            fleet.advance(start, end)

    # -- the operator's actions ---------------------------------------------------------

    def empty_container(self, container_id: str, at: datetime) -> None:
        """A truck empties the container at `at` (from the simulated frontier at the earliest)."""
        fleet = self._container_fleet()
        fleet.empty(fleet.index[container_id], to_seconds(at))

    def send_downlink(self, dev_eui: str, f_port: int, data: bytes) -> None:
        """Queues raw downlink bytes for the device's next receive window."""
        if self.network is None:
            raise ValueError("this scenario has no LoRaWAN devices")
        self.network.queue_downlink(dev_eui.lower(), f_port, data)

    def set_reporting_interval(self, device: str, seconds: int) -> None:
        """Queues the vendor's configuration downlink that sets the reporting interval."""
        dev_eui = self.directory.dev_eui(device)
        self.send_downlink(dev_eui, *interval_downlink(self.directory.codec[dev_eui], seconds))

    def handle_command(self, topic: str, payload: bytes) -> None:
        """A downlink command as the platform publishes it to ChirpStack or The Things Stack."""
        for dev_eui, f_port, data in parse_downlink_command(topic, payload, self.directory.by_name):
            self.send_downlink(dev_eui, f_port, data)

    def inject_fault(
        self,
        kind: FaultKind,
        device: str,
        start: datetime,
        end: datetime,
        magnitude: float | None = None,
    ) -> Fault:
        """A fault on a device (container id, dev_eui or hub id) from `start` to `end`."""
        fault = Fault(kind, device, to_seconds(start), to_seconds(end), magnitude)
        self._add_fault(fault)
        return fault

    def start_episode(
        self, patient_id: str, kind: str, at: datetime, severity: float = 1.0
    ) -> Episode:
        """Makes a patient deteriorate from `at` (kind: a key of the scenario's episodes)."""
        return self._hub_fleet().episodes.start(patient_id, kind, to_seconds(at), severity)

    def _add_fault(self, fault: Fault) -> None:
        key = self.directory.key(fault.device)
        containers = {c.dev_eui for c in self.scenario.containers}
        if fault.kind in SENSOR_FAULTS and key not in containers:
            raise ValueError(f"a {fault.kind} fault needs a fill sensor, not {fault.device!r}")
        self.faults.add(fault, key)

    # -- ground truth -------------------------------------------------------------------

    def true_fill(self, at: datetime | None = None) -> dict[str, float]:
        """True fill fraction (0..1) of every container at `at` (default: now)."""
        fleet = self._container_fleet()
        moment = to_seconds(at) if at is not None else fleet.frontier
        fractions = fleet.fill_fraction(moment)
        return {spec.container_id: float(f) for spec, f in zip(fleet.specs, fractions, strict=True)}

    def overflowing(self, at: datetime | None = None) -> dict[str, float]:
        """Litres that could not go into each full container since its last emptying."""
        fleet = self._container_fleet()
        moment = to_seconds(at) if at is not None else fleet.frontier
        litres = fleet.ledger.overflow_litres(moment)
        return {s.container_id: float(v) for s, v in zip(fleet.specs, litres, strict=True) if v > 0}

    def _container_fleet(self) -> ContainerFleet:
        if self.containers is None:
            raise ValueError("no container fleet: not a waste scenario, or not started yet")
        return self.containers

    def _hub_fleet(self) -> HubFleet:
        if self.hubs is None:
            raise ValueError("no hubs: not a home-monitoring scenario, or not started yet")
        return self.hubs
