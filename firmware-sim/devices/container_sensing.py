"""What an ultrasonic fill sensor reads: the true surface, blurred by noise and echoes, and
bent by faults (stuck, noise, tilt, fire). Vectorised over the devices sampled together."""

from __future__ import annotations

import numpy as np

from tilsyn.sim.clock import FloatArray, IntArray
from tilsyn.sim.faults import Fault, FaultBook
from tilsyn.sim.physics.weather import Weather
from tilsyn.sim.scenario.specs_waste import SensorFirmwareParams

BoolArray = np.ndarray
FIRE_RISE_S = 600.0  # a container fire heats the sensor to its peak within minutes
SIDEWAYS_MM = (400.0, 4000.0)  # a fallen container's sensor looks along the ground


class UltrasonicSensing:
    """Readings of a fleet's sensors at given instants."""

    def __init__(
        self,
        dev_euis: list[str],
        firmware: SensorFirmwareParams,
        weather: Weather,
        faults: FaultBook,
        rng: np.random.Generator,
    ) -> None:
        self._index = {eui: n for n, eui in enumerate(dev_euis)}
        self.firmware, self.weather, self.faults, self.rng = firmware, weather, faults, rng
        self.temperature_offset = weather.container_offsets(len(dev_euis))
        self.last_reading = np.zeros(len(dev_euis))
        self._stuck_value: dict[tuple[int, float], float] = {}

    def _active(self, kind: str, idx: IntArray, ts: FloatArray) -> list[tuple[BoolArray, Fault]]:
        found = []
        for eui, fault in self.faults.of_kind(kind):
            device = self._index.get(eui)
            if device is not None:
                mask = (idx == device) & (ts >= fault.start) & (ts < fault.end)
                if mask.any():
                    found.append((mask, fault))
        return found

    def tilted(self, idx: IntArray, ts: FloatArray) -> BoolArray:
        tilted = np.zeros(len(idx), dtype=bool)
        for mask, _ in self._active("tilt", idx, ts):
            tilted |= mask
        return tilted

    def distances(
        self,
        idx: IntArray,
        ts: FloatArray,
        true_mm: FloatArray,
        fill: FloatArray,
        range_mm: FloatArray,
    ) -> FloatArray:
        fw, n = self.firmware, len(idx)
        sd = fw.measurement_noise_mm + fw.surface_noise_fraction * range_mm * fill
        reading = true_mm + self.rng.normal(0.0, 1.0, n) * sd
        echo = self.rng.random(n) < fw.spurious_echo_probability
        reading[echo] = self.rng.uniform(
            fw.blind_zone_mm, np.maximum(true_mm[echo], fw.blind_zone_mm)
        )
        for mask, fault in self._active("noise", idx, ts):
            reading[mask] += self.rng.normal(0.0, fault.value, int(mask.sum()))
        for mask, _ in self._active("tilt", idx, ts):
            reading[mask] = self.rng.uniform(*SIDEWAYS_MM, int(mask.sum()))
        for mask, _ in self._active("fire", idx, ts):
            erratic = mask & (self.rng.random(n) < 0.5)  # hot air and smoke scatter the echo
            reading[erratic] = self.rng.uniform(
                fw.blind_zone_mm, SIDEWAYS_MM[1], int(erratic.sum())
            )
        for mask, fault in self._active("stuck", idx, ts):
            for position in np.nonzero(mask)[0]:
                key = (int(idx[position]), fault.start)
                value = self._stuck_value.setdefault(key, float(self.last_reading[idx[position]]))
                reading[position] = value
        reading = np.clip(np.rint(reading), fw.blind_zone_mm, 0xFFFF)
        self.last_reading[idx] = reading
        return reading

    def temperatures(self, idx: IntArray, ts: FloatArray) -> FloatArray:
        air = self.weather.air(ts) + self.temperature_offset[idx]
        air += self.rng.normal(0.0, 0.2, len(idx))
        for mask, fault in self._active("fire", idx, ts):
            heat = np.clip((ts[mask] - fault.start) / FIRE_RISE_S, 0.0, 1.0)
            air[mask] += (fault.value - air[mask]) * heat
        return np.round(air, 1)
