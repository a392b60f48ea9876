"""FHIR `date` search parameters (`date=ge2024-01-01&date=le2024-01-31`) as a time range.

A FHIR date value stands for the whole period of its precision: `2024-01` is all of January.
`ge` and `le` include that period, `gt` and `lt` exclude it, no prefix (or `eq`) means within it.
Several parameters all apply (AND). The result is a closed range to the microsecond, which is
exactly PostgreSQL's timestamptz resolution, so `le2024-01-31` includes 23:59:59.999999.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo

MICROSECOND = timedelta(microseconds=1)
PREFIXES = ("eq", "ge", "gt", "le", "lt")
DATE_VALUE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d{1,6})?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?"
)

DateRange = tuple[datetime | None, datetime | None]


def date_range(params: Sequence[str], default_zone: tzinfo = UTC) -> DateRange:
    """(earliest, latest), both inclusive and None when open; ValueError for what we cannot read.

    A value without a zone is read in `default_zone` (FHIR leaves it to the server); with a
    zone such as Europe/Oslo a day is then the local day, 23 or 25 hours long when the clocks
    change. A value with an offset (or `Z`) keeps it.
    """
    lower: datetime | None = None
    upper: datetime | None = None
    for param in params:
        prefix, value = _split_prefix(param)
        try:
            start, end = period(value, default_zone)
            if prefix in ("eq", "ge"):
                lower = start if lower is None else max(lower, start)
            if prefix == "gt":
                lower = end if lower is None else max(lower, end)
            if prefix in ("eq", "le"):
                upper = end - MICROSECOND if upper is None else min(upper, end - MICROSECOND)
            if prefix == "lt":
                upper = start - MICROSECOND if upper is None else min(upper, start - MICROSECOND)
        except OverflowError as error:  # 9999-12 ends, and 0001-01-01 starts, off the calendar
            raise ValueError(f"date {param!r} lies at the edge of the calendar") from error
    return lower, upper


def _split_prefix(param: str) -> tuple[str, str]:
    text = param.strip()
    if text[:2].isalpha():
        if text[:2] not in PREFIXES:
            raise ValueError(f"date prefix {text[:2]!r} is not supported (use eq, ge, gt, le, lt)")
        return text[:2], text[2:]
    return "eq", text


def period(value: str, default_zone: tzinfo = UTC) -> tuple[datetime, datetime]:
    """[start, end) of a FHIR date, dateTime or instant at the precision it is written in."""
    match = DATE_VALUE.fullmatch(value)
    if match is None:
        raise ValueError(f"not a FHIR date or dateTime: {value!r}")
    part = match.groupdict()
    zone = _zone(part["zone"], default_zone)
    year, month, day = int(part["year"]), int(part["month"] or 1), int(part["day"] or 1)
    if part["month"] is None:
        return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    if part["day"] is None:
        start = datetime(year, month, 1, tzinfo=zone)
        return start, (start + timedelta(days=32)).replace(day=1)
    if part["hour"] is None:
        start = datetime(year, month, day, tzinfo=zone)
        return start, start + timedelta(days=1)
    fraction = part["fraction"] or ""
    # Within a day, periods are exact durations: add in UTC, not on a wall clock that may jump.
    start = datetime(
        year,
        month,
        day,
        int(part["hour"]),
        int(part["minute"]),
        int(part["second"] or 0),
        int(fraction[1:].ljust(6, "0")) if fraction else 0,
        tzinfo=zone,
    ).astimezone(UTC)
    if part["second"] is None:
        return start, start + timedelta(minutes=1)
    return start, start + (MICROSECOND if fraction else timedelta(seconds=1))


def _zone(text: str | None, default_zone: tzinfo) -> tzinfo:
    if text is None:
        return default_zone
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
