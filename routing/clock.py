"""Plan times are seconds from a request's origin; shown to people, they become clock times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def after(origin: datetime, seconds: float) -> datetime:
    """The moment `seconds` after `origin`, on `origin`'s clock. An aware origin is counted in
    UTC: Python adds to a zoned time on the wall clock, which would put everything after a
    daylight-saving change of the night an hour off."""
    if origin.tzinfo is None:
        return origin + timedelta(seconds=seconds)
    return (origin.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(origin.tzinfo)


def clock(origin: datetime, seconds: float) -> str:
    return after(origin, seconds).strftime("%H:%M")
