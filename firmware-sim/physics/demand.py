"""Daily waste deposits per container: rate x weekday x season x tourist peaks x daily noise.

Everything is a pure function of (seed, container, local day), so a day's deposits are the
same whichever window, run or study asks for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from tilsyn.sim.clock import FloatArray
from tilsyn.sim.scenario.geo import distances_m
from tilsyn.sim.scenario.specs_waste import ContainerSpec, TouristPeak, WasteKindParams
from tilsyn.sim.seeding import substream

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def peak_active(peak: TouristPeak, day: int) -> bool:
    """Whether a yearly (month, day) window covers a local day number; windows may wrap."""
    when = date.fromordinal(day + EPOCH_ORDINAL)
    month_day = (when.month, when.day)
    if peak.start <= peak.end:
        return peak.start <= month_day <= peak.end
    return month_day >= peak.start or month_day <= peak.end


class DailyDemand:
    """Litres each container receives per local day."""

    def __init__(
        self,
        containers: Sequence[ContainerSpec],
        kinds: Mapping[str, WasteKindParams],
        peaks: Sequence[TouristPeak],
        seed: int,
    ) -> None:
        self.seed = seed
        self.kind_names = list(kinds)
        self.kind_index = np.array([self.kind_names.index(c.waste_kind) for c in containers])
        params = [kinds[name] for name in self.kind_names]
        spread = np.array([p.rate_spread for p in params])[self.kind_index]
        z = substream(seed, "fill", "multiplier").standard_normal(len(containers))
        multiplier = np.exp(spread * z - spread**2 / 2)  # log-normal with mean exactly 1
        base = np.array([p.fill_rate_litres_per_day for p in params])[self.kind_index]
        self.rate: FloatArray = base * multiplier
        self.weekday = np.array([p.weekday_factors for p in params])
        self.amplitude = np.array([p.seasonal_amplitude for p in params])
        self.peak_day = np.array([p.seasonal_peak_day for p in params], dtype=np.float64)
        cv = np.array([p.daily_noise_cv for p in params])[self.kind_index]
        self.noise_shape = 1.0 / np.maximum(cv, 1e-3) ** 2
        lat = np.array([c.lat for c in containers])
        lon = np.array([c.lon for c in containers])
        self.peaks = list(peaks)
        self.in_peak_area = [distances_m(lat, lon, p.lat, p.lon) <= p.radius_m for p in peaks]

    def seasonal(self, day_of_year: int) -> FloatArray:
        """Seasonal factor per kind (mean 1 over a year)."""
        phase = 2 * math.pi * (day_of_year - self.peak_day) / 365.25
        return np.asarray(1.0 + self.amplitude * np.cos(phase), dtype=np.float64)

    def peak_factor(self, day: int) -> FloatArray:
        factor = np.ones(len(self.rate))
        for peak, inside in zip(self.peaks, self.in_peak_area, strict=True):
            if peak_active(peak, day):
                factor[inside] *= peak.factor
        return factor

    def expected(self, day: int) -> FloatArray:
        """Mean litres per container on a local day, before the day's random variation."""
        weekday = (day + 3) % 7
        doy = date.fromordinal(day + EPOCH_ORDINAL).timetuple().tm_yday
        per_kind = self.weekday[:, weekday] * self.seasonal(doy)
        return np.asarray(self.rate * per_kind[self.kind_index] * self.peak_factor(day))

    def on_day(self, day: int) -> FloatArray:
        """Litres per container on a local day, with the day's gamma-distributed variation."""
        rng = substream(self.seed, "fill", "day", day)
        noise = rng.gamma(self.noise_shape, 1.0 / self.noise_shape)
        return np.asarray(self.expected(day) * noise, dtype=np.float64)
