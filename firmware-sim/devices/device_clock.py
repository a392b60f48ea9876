"""Device clocks: what a device believes the time is. A clock-drift fault makes it run fast
by the fault's parts per million from the fault's start; when the fault ends the device has
been re-synchronised (network time) and is right again."""

from __future__ import annotations

from tilsyn.sim.faults import FaultBook


def device_time(faults: FaultBook, device_key: str, at: float) -> float:
    fault = faults.active(device_key, "clock_drift", at)
    if fault is None:
        return at
    return at + (at - fault.start) * fault.value * 1e-6
