"""Battery drain of a fleet of sensors, vectorised: sleep current, self-discharge, and the
charge each measurement and each transmission costs."""

from __future__ import annotations

import numpy as np

from tilsyn.sim.clock import FloatArray, IntArray

YEAR_S = 365.25 * 86_400
# Open-circuit voltage of a lithium thionyl chloride (Li-SOCl2) cell against state of charge:
# flat for most of its life, collapsing at the end.
SOC_POINTS = (0.0, 0.02, 0.05, 0.10, 0.20, 0.50, 0.90, 1.00)
MILLIVOLT_POINTS = (2900.0, 3150.0, 3300.0, 3400.0, 3470.0, 3550.0, 3600.0, 3650.0)


class BatteryBank:
    """Remaining charge (mAh) of every device, brought up to date lazily per device."""

    def __init__(
        self,
        capacity_mah: FloatArray,
        state_of_charge: FloatArray,
        sleep_current_ua: float,
        self_discharge_per_year: float,
        now: float,
    ) -> None:
        self.capacity = capacity_mah
        self.charge = capacity_mah * state_of_charge
        self._idle_mah_per_s = sleep_current_ua / 1000 / 3600 + (
            capacity_mah * self_discharge_per_year / YEAR_S
        )
        self._updated = np.full(len(capacity_mah), now)

    def idle_until(self, index: IntArray, at: FloatArray) -> None:
        """Sleep current and self-discharge from each device's last update to the latest of
        its instants in `at` (a device may appear several times)."""
        latest = self._updated.copy()
        np.maximum.at(latest, index, at)
        elapsed = latest - self._updated
        self.charge -= elapsed * self._idle_mah_per_s
        self._updated = latest

    def spend_each(self, index: IntArray, mah: float) -> None:
        """`mah` once for every occurrence of a device in `index`."""
        np.subtract.at(self.charge, index, mah)

    def spend(self, index: IntArray | int, mah: FloatArray | float) -> None:
        self.charge[index] -= mah

    def percent(self, index: int) -> int:
        share = float(self.charge[index]) / float(self.capacity[index])
        return min(100, max(0, round(100 * share)))

    def millivolts(self, index: int) -> int:
        soc = max(0.0, float(self.charge[index] / self.capacity[index]))
        return round(float(np.interp(soc, SOC_POINTS, MILLIVOLT_POINTS)))
