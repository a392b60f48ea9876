"""Simulated time: float seconds since the Unix epoch inside the simulator, aware datetimes outside.

Floats keep the vectorised physics cheap; at 1.7e9 s a float64 still resolves 0.25 µs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DAY_S = 86_400.0
HOUR_S = 3_600.0


def to_seconds(at: datetime) -> float:
    """Seconds since the epoch; refuses naive datetimes so no local time slips in unnoticed."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"simulated time must be timezone-aware, got {at!r}")
    return at.timestamp()


def to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@lru_cache(maxsize=4096)
def _whole_second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def _split_ns(seconds: float) -> tuple[str, int]:
    whole, ns = divmod(round(seconds * 1e9), 1_000_000_000)
    return _whole_second(whole), ns


def rfc3339_ns(seconds: float, *, zulu: bool) -> str:
    """RFC 3339 with nanoseconds: ChirpStack writes `+00:00`, The Things Stack writes `Z`."""
    whole, ns = _split_ns(seconds)
    return f"{whole}.{ns:09d}{'Z' if zulu else '+00:00'}"


def rfc3339_ms(seconds: float) -> str:
    """RFC 3339 with milliseconds and `Z`, as the edge agent writes it."""
    whole, ns = _split_ns(seconds)
    return f"{whole}.{ns // 1_000_000:03d}Z"


def _offset(zone: ZoneInfo, seconds: float) -> float:
    offset = datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


@lru_cache(maxsize=256)
def _transitions(timezone: str, year: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """UTC instants in a year from which the zone's offset holds, with those offsets."""
    zone = ZoneInfo(timezone)
    start = datetime(year, 1, 1, tzinfo=UTC).timestamp()
    instants, offsets = [start], [_offset(zone, start)]
    for day in range(1, 367):
        at = start + day * DAY_S
        if _offset(zone, at) != offsets[-1]:
            hour = next(
                h for h in range(25) if _offset(zone, at - DAY_S + h * HOUR_S) != offsets[-1]
            )
            instants.append(at - DAY_S + hour * HOUR_S)
            offsets.append(_offset(zone, instants[-1]))
    return tuple(instants), tuple(offsets)


class LocalCalendar:
    """Local wall-clock views of UTC instants, vectorised; demand follows local days and hours.

    Offsets change on the hour in every zone the scenarios use, so a table of each year's
    transitions, found hour by hour, gives the offset of any instant by binary search.
    """

    def __init__(self, timezone: str) -> None:
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)
        self._years: tuple[int, int] | None = None
        self._instants = np.zeros(0)
        self._offsets = np.zeros(0)

    def _table(self, first: float, last: float) -> None:
        years = (time.gmtime(first).tm_year - 1, time.gmtime(last).tm_year + 1)
        if self._years is not None and self._years[0] <= years[0] and years[1] <= self._years[1]:
            return
        if self._years is not None:
            years = (min(years[0], self._years[0]), max(years[1], self._years[1]))
        instants: list[float] = []
        offsets: list[float] = []
        for year in range(years[0], years[1] + 1):
            year_instants, year_offsets = _transitions(self.timezone, year)
            instants += year_instants
            offsets += year_offsets
        self._years, self._instants, self._offsets = years, np.array(instants), np.array(offsets)

    def local_seconds(self, seconds: FloatArray) -> FloatArray:
        """UTC seconds shifted by the zone's offset at each instant (DST aware)."""
        self._table(float(seconds.min()), float(seconds.max()))
        where = np.searchsorted(self._instants, seconds, side="right") - 1
        return np.asarray(seconds + self._offsets[where], dtype=np.float64)

    def local_day_and_hour(self, seconds: FloatArray) -> tuple[IntArray, FloatArray]:
        """Local day number (days since 1970-01-01 local) and hour of day (0-24, fractional)."""
        local = self.local_seconds(seconds)
        day = np.floor(local / DAY_S).astype(np.int64)
        return day, (local - day * DAY_S) / HOUR_S

    def day_start(self, day: int) -> float:
        """UTC seconds of local midnight starting local day number `day`."""
        naive = datetime(1970, 1, 1) + timedelta(days=day)
        return naive.replace(tzinfo=self.zone).timestamp()

    def at_local(self, day: int, hour: float) -> float:
        """UTC seconds of a local wall-clock time on a local day (hour may be fractional)."""
        naive = datetime(1970, 1, 1) + timedelta(days=day, hours=hour)
        return naive.replace(tzinfo=self.zone).timestamp()

    def day_of(self, seconds: float) -> int:
        return int(self.local_day_and_hour(np.array([seconds]))[0][0])


def weekday_of_day(day: IntArray | int) -> IntArray | int:
    """Monday = 0 for a day number counted from 1970-01-01, which was a Thursday."""
    return (day + 3) % 7


def day_of_year(day: IntArray) -> IntArray:
    """Day of the year (1-366) for day numbers, vectorised through numpy's calendar."""
    dates = day.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    return np.asarray((dates - years).astype(np.int64) + 1, dtype=np.int64)
