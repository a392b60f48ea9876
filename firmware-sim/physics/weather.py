"""Ambient temperature for sensors with a thermometer: season, time of day and weather."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from tilsyn.sim.clock import FloatArray, LocalCalendar, day_of_year
from tilsyn.sim.seeding import substream


class Weather:
    """Town-wide air temperature, plus a fixed offset per container (sun, shade, contents)."""

    def __init__(self, climate: Mapping[str, Any], calendar: LocalCalendar, seed: int) -> None:
        self.climate = {key: float(value) for key, value in climate.items()}
        self.calendar, self.seed = calendar, seed
        self._anomaly: dict[int, float] = {}

    def container_offsets(self, count: int) -> FloatArray:
        sd = self.climate["container_offset_sd_c"]
        return np.asarray(substream(self.seed, "weather", "offsets").normal(0, sd, count))

    def _day_anomaly(self, day: int) -> float:
        if day not in self._anomaly:
            rng = substream(self.seed, "weather", "day", day)
            self._anomaly[day] = float(rng.normal(0, self.climate["weather_sd_c"]))
        return self._anomaly[day]

    def air(self, at: FloatArray) -> FloatArray:
        day, hour = self.calendar.local_day_and_hour(at)
        c = self.climate
        season = c["annual_amplitude_c"] * np.cos(
            2 * math.pi * (day_of_year(day) - c["warmest_day"]) / 365.25
        )
        diurnal = c["diurnal_amplitude_c"] * np.cos(2 * math.pi * (hour - 15.0) / 24.0)
        days, where = np.unique(day, return_inverse=True)
        anomaly = np.array([self._day_anomaly(int(d)) for d in days])[where.reshape(day.shape)]
        return np.asarray(c["annual_mean_c"] + season + diurnal + anomaly, dtype=np.float64)
