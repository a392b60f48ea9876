"""The fill-sensor fleet: every container's firmware, stepped together with numpy.

Devices sample on their own clocks (phase, crystal error, drift faults); each window of
simulated time runs as a few vectorised sampling rounds, then the window's reports go to the
sink (the LoRaWAN stack, or a log for studies) in time order. Configuration downlinks
received in a window apply from the device's next report on (reports already decided in the
window keep the old schedule).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from tilsyn.sim.clock import FloatArray, IntArray
from tilsyn.sim.devices.battery import BatteryBank
from tilsyn.sim.devices.container_payload import Report, reports_from
from tilsyn.sim.devices.container_rules import BoolArray, RuleState, Thresholds, decide
from tilsyn.sim.devices.container_sensing import UltrasonicSensing
from tilsyn.sim.devices.container_setup import FleetArrays, initial_arrays
from tilsyn.sim.devices.container_truth import EmptyingLedger
from tilsyn.sim.devices.interrupts import InterruptReports
from tilsyn.sim.faults import FaultBook
from tilsyn.sim.physics.fill import FillModel
from tilsyn.sim.physics.weather import Weather
from tilsyn.sim.scenario.model import Scenario
from tilsyn.sim.seeding import python_stream, substream


class ReportSink(Protocol):
    """Where a fleet's reports go: the LoRaWAN stack, or a log for studies."""

    def __call__(self, fleet: ContainerFleet, report: Report) -> None: ...


class ContainerFleet:
    """All containers of a scenario with their sensors, from `start` on."""

    def __init__(
        self,
        scenario: Scenario,
        sink: ReportSink,
        faults: FaultBook,
        start: float,
        last_emptied: Mapping[str, float],
    ) -> None:
        if scenario.firmware is None:
            raise ValueError("a container fleet needs the scenario's firmware parameters")
        seed, self.sink, self.faults = scenario.seed, sink, faults
        self.specs = scenario.containers
        self.firmware = scenario.firmware
        self.fill = FillModel(
            self.specs, scenario.waste_kinds, scenario.tourist_peaks, scenario.timezone, seed
        )
        self.index = {spec.container_id: n for n, spec in enumerate(self.specs)}
        self.by_eui = {spec.dev_eui: n for n, spec in enumerate(self.specs)}
        self.a: FleetArrays = initial_arrays(scenario, self.fill, start, last_emptied)
        self.ledger = EmptyingLedger(self.fill, self.a.reference)
        self.battery = BatteryBank(
            np.full(len(self.specs), self.firmware.battery_capacity_mah),
            self.a.state_of_charge,
            self.firmware.sleep_current_ua,
            self.firmware.self_discharge_per_year,
            start,
        )
        weather = Weather(scenario.parameters["climate"], self.fill.calendar, seed)
        self.sensing = UltrasonicSensing(
            [s.dev_eui for s in self.specs],
            self.firmware,
            weather,
            faults,
            substream(seed, "containers", "sensing"),
        )
        self.rules, self.limits = self._rules(start)
        self.interrupts = InterruptReports(self, python_stream(seed, "containers", "interrupts"))
        self._residue = python_stream(seed, "containers", "residue")
        self._pending: list[tuple[float, int, float]] = []
        self.frontier = start

    def _rules(self, start: float) -> tuple[RuleState, Thresholds]:
        a, fw = self.a, self.firmware
        n = len(self.specs)
        alarm_mm = a.empty_mm - fw.full_alarm_fraction * a.range_mm
        full_now = self.true_distance(np.arange(n), np.full(n, start)) <= alarm_mm
        state = RuleState(
            next_report=start + a.report_interval * a.rng_phase,
            last_reported=self.true_distance(np.arange(n), np.full(n, start)),
            full_candidate=full_now.copy(),
            full_alarm=full_now,
            temperature_alarm=np.zeros(n, dtype=bool),
        )
        limits = Thresholds(
            change_mm=fw.change_threshold_fraction * a.range_mm,
            alarm_mm=alarm_mm,
            release_mm=alarm_mm + fw.alarm_hysteresis_fraction * a.range_mm,
            fire_c=fw.fire_temperature_c,
            has_thermometer=a.has_thermometer,
        )
        return state, limits

    def true_distance(self, idx: IntArray, ts: FloatArray) -> FloatArray:
        """What a perfect sensor would read: the waste surface under the lid."""
        fill = np.clip(
            self.fill.cumulative(idx, ts) - self.a.reference[idx], 0, self.a.capacity[idx]
        )
        return np.asarray(self.a.empty_mm[idx] - fill / self.a.capacity[idx] * self.a.range_mm[idx])

    def empty(self, index: int, at: float) -> None:
        """A truck empties the container at `at` (not before the simulated frontier)."""
        self.empty_many([index], [at])

    def empty_many(self, indices: list[int], times: list[float]) -> None:
        """Several emptyings at once (a day's route), vectorised."""
        if not indices:
            return
        at = np.maximum(np.array(times, dtype=np.float64), self.frontier)
        idx = np.array(indices, dtype=np.int64)
        residue = np.array([self._residue.uniform(0.0, 0.015) for _ in indices])
        references = self.fill.cumulative(idx, at) - residue * self.a.capacity[idx]
        for when, index, reference in zip(at.tolist(), indices, references.tolist(), strict=True):
            self.ledger.record(when, index, reference)
            self._pending.append((when, index, reference))
            self.interrupts.emptied(index, when, reference)

    def _references(self, idx: IntArray, ts: FloatArray, end: float) -> FloatArray:
        """Each sample's fill reference; emptyings before `end` are then made permanent."""
        reference = self.a.reference[idx]
        waiting = []
        for at, index, value in sorted(self._pending):
            if at < end:
                reference[(idx == index) & (ts >= at)] = value
                self.a.reference[index] = value
            else:
                waiting.append((at, index, value))
        self._pending = waiting
        return reference

    def _rates(self, at: float) -> FloatArray:
        """Device clock rates, with drift faults active at `at`."""
        rates = self.a.clock_rate.copy()
        for eui, fault in self.faults.of_kind("clock_drift"):
            if eui in self.by_eui and fault.active(at):
                rates[self.by_eui[eui]] *= 1 + fault.value * 1e-6
        return rates

    def _schedule(
        self, start: float, end: float
    ) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
        """Every sample before `end`: device, time, its number within the window, and each
        device's clock rate; the devices' next sample times move past `end`."""
        a = self.a
        rates = self._rates(start)
        step = a.sample_interval / rates
        due = (a.next_sample < end) & (self.battery.charge > 0)
        counts = np.where(due, np.ceil((end - a.next_sample) / step), 0).astype(np.int64)
        idx = np.repeat(np.arange(len(counts)), counts)
        order = np.arange(len(idx)) - np.repeat(np.cumsum(counts) - counts, counts)
        ts = a.next_sample[idx] + order * step[idx]
        a.next_sample[due] += counts[due] * step[due]
        return idx, ts, order, rates

    def _sample_window(self, start: float, end: float, reports: list[Report]) -> None:
        """All samples of the window at once; the rules then run sample by sample in order."""
        a = self.a
        idx, ts, order, rates = self._schedule(start, end)
        if idx.size == 0:
            return
        reference = self._references(idx, ts, end)
        fill = np.clip(self.fill.cumulative(idx, ts) - reference, 0, a.capacity[idx])
        share = fill / a.capacity[idx]
        true_mm = a.empty_mm[idx] - share * a.range_mm[idx]
        reading = self.sensing.distances(idx, ts, true_mm, share, a.range_mm[idx])
        temperature = self.sensing.temperatures(idx, ts)
        tilted = self.sensing.tilted(idx, ts)
        self.battery.idle_until(idx, ts)
        self.battery.spend_each(idx, self.firmware.sample_charge_mah)
        for number in range(int(order.max()) + 1):
            chosen = order == number
            self._decide(
                idx[chosen],
                ts[chosen],
                reading[chosen],
                temperature[chosen],
                tilted[chosen],
                rates,
                reports,
            )

    def _decide(
        self,
        idx: IntArray,
        ts: FloatArray,
        reading: FloatArray,
        temperature: FloatArray,
        tilted: BoolArray,
        rates: FloatArray,
        reports: list[Report],
    ) -> None:
        intervals = self.a.report_interval[idx] / rates[idx]
        decided = decide(self.rules, self.limits, idx, ts, reading, temperature, intervals)
        reports += reports_from(decided, idx, ts, reading, temperature, tilted)

    def advance(self, start: float, end: float) -> None:
        """Simulates [start, end): samples, decisions, and the uplinks they cause."""
        reports = self.interrupts.due(start, end)
        self._sample_window(start, end, reports)
        reports.sort(key=lambda report: (report.at, report.index))
        for report in reports:
            self.sink(self, report)
        self.frontier = end

    def configure_interval(self, index: int, seconds: int, at: float) -> None:
        """A reporting-interval downlink heard at `at`: the periodic timer restarts, and the
        device measures at least as often as it reports."""
        self.a.report_interval[index] = seconds
        self.a.sample_interval[index] = min(self.a.configured_sample_interval[index], seconds)
        self.rules.next_report[index] = at + seconds / self.a.clock_rate[index]

    def fill_fraction(self, at: float) -> FloatArray:
        """True fill of every container at `at`, as a fraction of its capacity."""
        return np.asarray(self.ledger.fill_litres(at) / self.a.capacity)
