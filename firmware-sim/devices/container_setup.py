"""The fill-sensor fleet's arrays at the start of a run: geometry, clocks, batteries and how
full each container already is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tilsyn.sim.clock import FloatArray
from tilsyn.sim.physics.fill import FillModel
from tilsyn.sim.scenario.model import Scenario
from tilsyn.sim.seeding import substream

BoolArray = np.ndarray
THERMOMETER_CODECS = ("milesight-em400-udl", "dragino-ldds75")
ACCELEROMETER_CODECS = ("milesight-em310-udl", "milesight-em400-udl")
CRYSTAL_SD_PPM = 20.0
NEARLY_FLAT_SHARE = 0.03  # devices whose battery is about to run out when the run starts


@dataclass(slots=True)
class FleetArrays:
    empty_mm: FloatArray
    range_mm: FloatArray
    capacity: FloatArray
    has_thermometer: BoolArray
    has_accelerometer: BoolArray
    lifted_by_crane: BoolArray
    sample_interval: FloatArray
    configured_sample_interval: FloatArray
    report_interval: FloatArray
    clock_rate: FloatArray
    next_sample: FloatArray
    rng_phase: FloatArray
    reference: FloatArray
    state_of_charge: FloatArray


def initial_arrays(
    scenario: Scenario, fill: FillModel, start: float, last_emptied: Mapping[str, float]
) -> FleetArrays:
    """Containers emptied by the plan before `start` hold what arrived since; the others a
    random share of their capacity."""
    specs, rng = scenario.containers, substream(scenario.seed, "containers", "initial")
    n = len(specs)
    capacity = np.array([s.capacity_litres for s in specs])
    reference = fill.cumulative(np.arange(n), start) - rng.uniform(0.0, 0.6, n) * capacity
    for position, spec in enumerate(specs):
        if spec.container_id in last_emptied:
            emptied = last_emptied[spec.container_id]
            reference[position] = fill.cumulative(position, emptied)[0] - 0.01 * capacity[position]
    sample = np.array([float(s.sample_interval_s) for s in specs])
    charge = rng.uniform(0.25, 1.0, n)
    flat = rng.random(n) < NEARLY_FLAT_SHARE
    charge[flat] = rng.uniform(0.0005, 0.01, int(flat.sum()))
    crane = {name for name, kind in scenario.waste_kinds.items() if kind.lifted_by_crane}
    return FleetArrays(
        empty_mm=np.array([float(s.empty_distance_mm) for s in specs]),
        range_mm=np.array([float(s.empty_distance_mm - s.full_distance_mm) for s in specs]),
        capacity=capacity,
        has_thermometer=np.array([s.codec in THERMOMETER_CODECS for s in specs]),
        has_accelerometer=np.array([s.codec in ACCELEROMETER_CODECS for s in specs]),
        lifted_by_crane=np.array([s.waste_kind in crane for s in specs]),
        sample_interval=sample.copy(),
        configured_sample_interval=sample,
        report_interval=np.array([float(s.reporting_interval_s) for s in specs]),
        clock_rate=1.0 + rng.normal(0.0, CRYSTAL_SD_PPM * 1e-6, n),
        next_sample=start + rng.uniform(0.0, 1.0, n) * sample,
        rng_phase=rng.uniform(0.0, 1.0, n),
        reference=reference,
        state_of_charge=charge,
    )
