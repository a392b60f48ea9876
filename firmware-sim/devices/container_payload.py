"""The fields each fill sensor model puts in a report, for `tilsyn.codecs.encode`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tilsyn.sim.clock import FloatArray, IntArray
from tilsyn.sim.devices.battery import BatteryBank
from tilsyn.sim.devices.container_rules import BoolArray, Decisions


@dataclass(slots=True)
class Report:
    """One report a fill sensor decides to send.

    `distance_alarm` / `temperature_alarm` are None in ordinary reports, True when the alarm
    is raised and False when it is released (EM400-UDL sends alarm blocks for both).
    """

    at: float
    index: int
    distance_mm: int
    temperature_c: float
    tilt: bool
    confirmed: bool
    distance_alarm: bool | None = None
    temperature_alarm: bool | None = None


def report_fields(codec: str, report: Report, battery: BatteryBank) -> dict[str, Any]:
    """Codec fields of one report; models without a sensor for a value leave it out."""
    if codec == "dragino-ldds75":
        return {
            "battery_mv": battery.millivolts(report.index),
            "distance_mm": report.distance_mm,
            "interrupt": False,
            "temperature_c": round(report.temperature_c, 1),
            "sensor_flag": True,  # the DS18B20 probe is fitted
        }
    fields: dict[str, Any] = {
        "battery_percent": battery.percent(report.index),
        "distance_mm": report.distance_mm,
        "tilt": report.tilt,
    }
    if codec == "milesight-em400-udl":
        fields["temperature_c"] = round(report.temperature_c, 1)
        if report.temperature_alarm is not None:
            fields["temperature_alarm"] = report.temperature_alarm
        if report.distance_alarm is not None:
            fields["distance_alarm"] = report.distance_alarm
    return fields


def reports_from(
    decided: Decisions,
    idx: IntArray,
    ts: FloatArray,
    reading: FloatArray,
    temperature: FloatArray,
    tilted: BoolArray,
) -> list[Report]:
    """The reports the rules decided on, with their alarm flags."""
    chosen = np.nonzero(decided.report)[0]
    # Plain Python values: numpy scalars are slow to read one by one.
    fire = np.where(decided.fire, 1, np.where(decided.fire_released, 0, -1))[chosen].tolist()
    found = []
    for at, index, distance, celsius, tilt, confirmed, full, burning in zip(
        ts[chosen].tolist(),
        idx[chosen].tolist(),
        reading[chosen].astype(np.int64).tolist(),
        temperature[chosen].tolist(),
        tilted[chosen].tolist(),
        decided.confirmed[chosen].tolist(),
        decided.full_raised[chosen].tolist(),
        fire,
        strict=True,
    ):
        alarm = None if burning < 0 else bool(burning)
        full_alarm = True if full else None
        found.append(Report(at, index, distance, celsius, tilt, confirmed, full_alarm, alarm))
    return found
