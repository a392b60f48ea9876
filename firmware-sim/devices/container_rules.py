"""A fill sensor's reporting rules, applied to a batch of samples at once.

Periodic reports keep their own timer; a change of more than the threshold since the last
report, a full alarm (confirmed by two samples in a row, so one stray echo raises nothing),
and a fire alarm are reported at once. A fire alarm repeats every sample while it lasts and
is released with one more report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tilsyn.sim.clock import FloatArray, IntArray

BoolArray = np.ndarray
FIRE_RELEASE_MARGIN_C = 5.0


@dataclass(slots=True)
class RuleState:
    """Per-device state of the reporting rules."""

    next_report: FloatArray
    last_reported: FloatArray
    full_candidate: BoolArray
    full_alarm: BoolArray
    temperature_alarm: BoolArray


@dataclass(frozen=True, slots=True)
class Thresholds:
    change_mm: FloatArray
    alarm_mm: FloatArray
    release_mm: FloatArray
    fire_c: float
    has_thermometer: BoolArray


@dataclass(frozen=True, slots=True)
class Decisions:
    """Which samples become reports, and with which alarm flags."""

    report: BoolArray
    confirmed: BoolArray
    full_raised: BoolArray
    fire: BoolArray
    fire_released: BoolArray
    periodic: BoolArray


def decide(
    state: RuleState,
    limits: Thresholds,
    idx: IntArray,
    ts: FloatArray,
    reading: FloatArray,
    temperature: FloatArray,
    intervals: FloatArray,
) -> Decisions:
    """Applies the rules to one sample of each device `idx` (at `ts`, reporting every
    `intervals` seconds of true time) and updates the rules' state."""
    periodic = ts >= state.next_report[idx]
    change = np.abs(reading - state.last_reported[idx]) >= limits.change_mm[idx]
    beyond = reading <= limits.alarm_mm[idx]
    full_raised = beyond & state.full_candidate[idx] & ~state.full_alarm[idx]
    released = (reading > limits.release_mm[idx]) & state.full_alarm[idx]
    state.full_candidate[idx] = beyond
    state.full_alarm[idx] = (state.full_alarm[idx] | full_raised) & ~released
    hot = limits.has_thermometer[idx] & (temperature >= limits.fire_c)
    was_burning = state.temperature_alarm[idx]
    cooled = was_burning & (temperature < limits.fire_c - FIRE_RELEASE_MARGIN_C)
    state.temperature_alarm[idx] = (was_burning | hot) & ~cooled
    report = periodic | change | full_raised | hot | cooled
    # The report timer keeps its own grid; samples only decide when it is noticed.
    due, every = idx[periodic], intervals[periodic]
    state.next_report[due] += (
        np.floor((ts[periodic] - state.next_report[due]) / every) + 1
    ) * every
    state.last_reported[idx[report]] = reading[report]
    return Decisions(
        report=report,
        confirmed=full_raised | (hot & ~was_burning),
        full_raised=full_raised,
        fire=hot,
        fire_released=cooled,
        periodic=periodic,
    )
