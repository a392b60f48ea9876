"""Container rules on each reading: full (with hysteresis), predicted overflow, fire, tilt, low
battery. Silence is judged by the clock (`periodic.py`).

The fill history a prediction needs is read from the database the first time a container is
seen (for a whole batch at once: `prepare`), so a restarted platform goes on judging where it
stopped: it neither clears every
prediction on its first reading nor raises it again three readings later as a new alert.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tilsyn.platform.alerts.models import Severity, Signal
from tilsyn.platform.containers.emptying import (
    emptied_between,
    since_last_emptying,
    without_glitches,
)
from tilsyn.platform.ingest.tables import Row

FIRE_TEMPERATURE_C = 60.0
FIRE_RISE_C = 15.0
FIRE_RISE_WINDOW = timedelta(minutes=30)
FIRE_CLEAR_C = 45.0
BATTERY_LOW_PERCENT = 15
BATTERY_FLAT_PERCENT = 5  # days from going silent: someone must change it now
BATTERY_CLEAR_PERCENT = 25
OVERFLOW_HORIZON_H = 12.0
HISTORY = timedelta(hours=48)
MIN_POINTS = 3  # readings since the last emptying that a fill rate is measured from


@dataclass(frozen=True)
class ContainerLimits:
    fill_high_percent: float = 80.0
    fill_low_percent: float = 20.0


# Containers' stored fills in [since, before): {container: [(time, fill %)] in time order}.
FillHistory = Callable[[list[str], datetime, datetime], dict[str, list[tuple[datetime, float]]]]


def _nothing_stored(
    container_ids: list[str], since: datetime, before: datetime
) -> dict[str, list[tuple[datetime, float]]]:
    return {}


class ContainerRules:
    """Keeps the little history each rule needs (recent fill and temperature) per container;
    a container's fills start from `stored_fills` (the database) when it is first seen."""

    def __init__(self, stored_fills: FillHistory = _nothing_stored) -> None:
        self._stored_fills = stored_fills
        self._fills: dict[str, deque[tuple[datetime, float]]] = {}
        self._temperatures: dict[str, deque[tuple[datetime, float]]] = {}

    def evaluate(self, row: Row, limits: ContainerLimits) -> list[Signal]:
        at, container_id = row[0], row[1]
        fill, battery, tilt, temperature = row[4], row[5], row[6], row[7]
        signals: list[Signal] = []
        history = self._fill_history(container_id, at) if fill is not None else None
        # A late or repeated fill reading says nothing on fill now: the later ones have spoken.
        if fill is not None and history is not None and not (history and at <= history[-1][0]):
            previous = history[-1][1] if history else None
            history.append((at, fill))
            signals += self._full(container_id, at, fill, previous, limits)
            signals += self._overflow(container_id, at, fill, limits)
        if temperature is not None:
            signals += self._fire(container_id, at, temperature)
        if tilt is not None:
            signals.append(
                _signal(
                    container_id,
                    "tilt",
                    bool(tilt),
                    at,
                    "warning",
                    f"Container {container_id} is tilted or knocked over",
                )
            )
        if battery is not None and (
            battery <= BATTERY_LOW_PERCENT or battery >= BATTERY_CLEAR_PERCENT
        ):
            signals.append(_battery(container_id, at, battery))
        return signals

    def prepare(self, first_reading: dict[str, datetime]) -> None:
        """Read, in one go, the stored fills before their first reading here of the containers
        not seen yet (`first_reading`: the time of each one's earliest reading in a batch)."""
        new = {cid: at for cid, at in first_reading.items() if cid not in self._fills}
        if not new:
            return
        stored = self._stored_fills(list(new), min(new.values()) - HISTORY, max(new.values()))
        for cid, at in new.items():
            fills = stored.get(cid, [])
            self._fills[cid] = deque((t, f) for t, f in fills if at - HISTORY <= t < at)

    def _fill_history(self, cid: str, at: datetime) -> deque[tuple[datetime, float]]:
        if cid not in self._fills:
            self.prepare({cid: at})
        history = self._fills[cid]
        while history and at - history[0][0] > HISTORY:
            history.popleft()
        return history

    def _full(
        self,
        cid: str,
        at: datetime,
        fill: float,
        previous: float | None,
        limits: ContainerLimits,
    ) -> list[Signal]:
        if fill >= limits.fill_high_percent:
            return [
                _signal(
                    cid,
                    "full",
                    True,
                    at,
                    "warning",
                    f"Container {cid} is {fill:.0f} % full",
                    {"fill_percent": fill},
                )
            ]
        # Emptied by the rule the forecast and the planner use too: a container emptied to 24 %
        # (residue, a bell-shaped bottom) is emptied, though above the low limit.
        emptied = previous is not None and emptied_between(previous, fill)
        if fill <= limits.fill_low_percent or emptied:
            return [_signal(cid, "full", False, at, "warning", "emptied")]
        return []  # between the limits nothing changes: that is the hysteresis

    def _overflow(
        self, cid: str, at: datetime, fill: float, limits: ContainerLimits
    ) -> list[Signal]:
        readings = list(self._fills[cid])
        points = since_last_emptying(readings)
        hours = hours_until_full(points)
        if fill >= limits.fill_high_percent:
            return []  # already full: the full alert speaks
        if hours is not None and hours <= OVERFLOW_HORIZON_H:
            return [
                _signal(
                    cid,
                    "overflow_predicted",
                    True,
                    at,
                    "warning",
                    f"Container {cid} is expected to be full within {hours:.0f} h",
                    {"hours_until_full": round(hours, 1), "fill_percent": fill},
                )
            ]
        emptied = len(points) < len(without_glitches(readings))
        if len(points) < MIN_POINTS and not emptied:
            return []  # too few readings to say either way (a sensor just back, say)
        if hours is None or hours > 1.5 * OVERFLOW_HORIZON_H:
            return [_signal(cid, "overflow_predicted", False, at, "warning", "no longer expected")]
        return []

    def _fire(self, cid: str, at: datetime, temperature: float) -> list[Signal]:
        history = self._temperatures.setdefault(cid, deque())
        history.append((at, temperature))
        while history and at - history[0][0] > FIRE_RISE_WINDOW:
            history.popleft()
        rise = temperature - min(t for _, t in history)
        if temperature >= FIRE_TEMPERATURE_C or rise >= FIRE_RISE_C:
            return [
                _signal(
                    cid,
                    "fire",
                    True,
                    at,
                    "critical",
                    f"Possible fire in container {cid}: {temperature:.1f} °C",
                    {"temperature_c": temperature, "rise_c": round(rise, 1)},
                )
            ]
        if temperature < FIRE_CLEAR_C and rise < FIRE_RISE_C / 3:
            return [_signal(cid, "fire", False, at, "critical", "temperature normal")]
        return []


def fill_slope(history: Sequence[tuple[datetime, float]]) -> float | None:
    """Least-squares fill rate (points per hour) over readings since the last emptying;
    None with fewer than `MIN_POINTS` readings or all at one time. Flat or falling: 0 or
    below, a rate measured all the same."""
    if len(history) < MIN_POINTS:
        return None
    t0 = history[0][0]
    xs = [(t - t0).total_seconds() / 3600 for t, _ in history]
    ys = [f for _, f in history]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def hours_until_full(history: Sequence[tuple[datetime, float]]) -> float | None:
    """Hours from the last reading to 100 % at the fill rate; None if not rising."""
    slope = fill_slope(history)
    if slope is None or slope <= 0:
        return None
    return max(0.0, (100.0 - history[-1][1]) / slope)


def _battery(cid: str, at: datetime, battery: int) -> Signal:
    """Low is a note for the next round; nearly flat is a warning, since the sensor will soon
    go silent and its container unwatched."""
    if battery <= BATTERY_FLAT_PERCENT:
        title = f"Sensor battery at {battery} %: change it before the sensor goes silent"
        return _signal(cid, "battery_low", True, at, "warning", title)
    return _signal(
        cid,
        "battery_low",
        battery <= BATTERY_LOW_PERCENT,
        at,
        "info",
        f"Sensor battery at {battery} %",
    )


def _signal(
    cid: str,
    rule: str,
    active: bool,
    at: datetime,
    severity: Severity,
    title: str,
    detail: dict[str, float] | None = None,
) -> Signal:
    return Signal(
        "container",
        cid,
        rule,
        active,
        at,
        severity,
        "operator",
        "",
        title,
        detail or {},
    )
