"""When measurements are due: every day, or on a kind's weekdays of the hub's local calendar."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tilsyn.edge.schedule import due

OSLO = ZoneInfo("Europe/Oslo")


def _at(day: int, clock: str) -> float:
    """An instant on a day of March 2026 in Oslo (day 32 is 1 April)."""
    month, day = (3, day) if day <= 31 else (4, day - 31)
    hour, minute = int(clock[:2]), int(clock[3:])
    return datetime(2026, month, day, hour, minute, tzinfo=OSLO).timestamp()


# Sunday 22 March noon to Sunday 5 April noon: two weeks, summer time from Sunday 29 March.
AFTER, UPTO = _at(22, "12:00"), _at(36, "12:00")


def test_a_kind_on_some_weekdays_is_due_on_those_local_days_only() -> None:
    """Weight on Mondays and Thursdays just after and before midnight, where the UTC date is
    another day (Monday 00:30 is Sunday in UTC, by one hour in winter time, two in summer)."""
    schedule = {"body_weight": ["00:30", "23:30"], "spo2": ["09:00"]}
    found = due(schedule, OSLO, AFTER, UPTO, {"body_weight": [1, 4]})
    weights = [at for at, kind in found if kind == "body_weight"]
    mondays_and_thursdays = (23, 26, 30, 33)  # 30 March: the day after the change
    assert weights == [_at(d, t) for d in mondays_and_thursdays for t in ("00:30", "23:30")]
    spo2 = [at for at, kind in found if kind == "spo2"]
    assert spo2 == [_at(d, "09:00") for d in range(23, 37)], "a kind left out: every day"


def test_without_weekdays_every_kind_is_due_every_day() -> None:
    schedule = {"body_weight": ["07:30"], "spo2": ["09:00", "21:00"]}
    found = due(schedule, OSLO, AFTER, UPTO)
    assert len(found) == 14 * 3
    assert found == due(schedule, OSLO, AFTER, UPTO, {})
