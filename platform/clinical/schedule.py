"""Missed tasks: which scheduled slots passed without a measurement or a questionnaire answered.

In digital home follow-up a missed task raises a warning (DOMAIN.md §5). A task is a kind of
measurement ("weight") or a questionnaire of the self-management plan ("copd-daily"); the slots
are judged alike. Two kinds of schedule:

- at fixed local clock times, every day or on some weekdays ("weight at 08:00 on Mondays"): a
  slot is met by a measurement from
  `opens_before` ahead of the due time up to `grace` after it, both ends inclusive, and is missed
  once that deadline has passed. Each measurement meets at most one slot, so a patient who should
  measure twice a day does not meet both slots with one reading.
- N times per local calendar week (Monday to Sunday): a week is short by the number of
  measurements it lacks, reported once the week is over. Weeks start counting from the first
  Monday on or after the plan's start, so a plan started mid-week is not judged on a part-week.

Clock times are local (Europe/Oslo by default) so a slot stays at 08:00 across daylight saving.
A clock time the spring change skips (02:30) is read with winter time's offset, which makes it
03:30 summer time, as Python's zoneinfo resolves it; a repeated autumn time takes its first
occurrence. Measurement times must be timezone-aware.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from tilsyn.platform.clinical.answers import QuestionnaireName
from tilsyn.platform.clinical.plan import LABELS, Kind


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
# Where the patients live and their care team reads times: the default of every schedule.
CARE_TIMEZONE = "Europe/Oslo"


class ScheduledThing(BaseModel):
    """What a schedule asks for: a kind of measurement or a questionnaire, exactly one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind | None = None
    questionnaire: QuestionnaireName | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ScheduledThing:
        if (self.kind is None) == (self.questionnaire is None):
            raise ValueError("a task is either a kind of measurement or a questionnaire")
        return self

    @property
    def task(self) -> str:
        """A key unique per patient: the kind, or "questionnaire:" and its name (no kind holds
        a colon)."""
        return self.kind if self.kind is not None else f"questionnaire:{self.questionnaire}"

    @property
    def label(self) -> str:
        if self.kind is not None:
            return LABELS[self.kind][0]
        return f"Questionnaire {self.questionnaire}"

    @property
    def done(self) -> str:
        """What doing the task is called in a reason: "not measured by", "not answered by"."""
        return "measured" if self.kind is not None else "answered"

    @property
    def many(self) -> str:
        """What a short week lacks: "Weight measurements", "Questionnaire copd-daily answers"."""
        return f"{self.label} {'measurements' if self.kind is not None else 'answers'}"


class DailySchedule(ScheduledThing):
    times: tuple[time, ...] = Field(min_length=1, description="local clock times the task is due")
    timezone: TimeZoneName = CARE_TIMEZONE
    opens_before: timedelta = Field(timedelta(hours=4), ge=timedelta(0))
    grace: timedelta = Field(timedelta(hours=3), ge=timedelta(0))
    # ISO weekdays (1 = Monday) of the local calendar the times are due on; None: every day.
    weekdays: frozenset[Annotated[int, Field(ge=1, le=7)]] | None = Field(None, min_length=1)

    @property
    def longest_gap(self) -> timedelta:
        """The longest time between two due days: how far back a missed slot may lie."""
        if not self.weekdays:
            return timedelta(days=1)
        days = sorted(self.weekdays)
        gaps = [b - a for a, b in pairwise(days)] + [days[0] + 7 - days[-1]]
        return timedelta(days=max(gaps))


class WeeklySchedule(ScheduledThing):
    per_week: int = Field(ge=1, le=100)
    timezone: TimeZoneName = CARE_TIMEZONE


class MissedSlot(BaseModel):
    model_config = ConfigDict(frozen=True)

    task: str = Field(description="the kind measured, or questionnaire:NAME")
    opens: datetime
    deadline: datetime
    missing: int = Field(description="measurements or answers lacking in this slot")
    reason: str


def missed_slots(
    schedule: DailySchedule | WeeklySchedule,
    measured_at: Iterable[AwareDatetime],
    start: AwareDatetime,
    now: AwareDatetime,
) -> list[MissedSlot]:
    """Slots due at or after `start` whose deadline is at or before `now` and that were missed."""
    # UTC throughout: aware datetimes sharing one zone compare and add as wall-clock times.
    times = sorted(t.astimezone(UTC) for t in measured_at)
    if isinstance(schedule, DailySchedule):
        return _missed_daily(schedule, times, start, now)
    return _missed_weekly(schedule, times, start, now)


def _missed_daily(
    schedule: DailySchedule, times: list[datetime], start: datetime, now: datetime
) -> list[MissedSlot]:
    missed, next_unused, local = [], 0, ZoneInfo(schedule.timezone)
    for due in due_times(schedule, start, now):
        opens, deadline = due - schedule.opens_before, due + schedule.grace
        while next_unused < len(times) and times[next_unused] < opens:
            next_unused += 1
        if next_unused < len(times) and times[next_unused] <= deadline:
            next_unused += 1  # this measurement meets the slot and no other
            continue
        due_text = f"{due.astimezone(local):%a %Y-%m-%d %H:%M}"
        by = f"{deadline.astimezone(local):%H:%M}"
        reason = f"{schedule.label} due {due_text} not {schedule.done} by {by}"
        missed.append(
            MissedSlot(task=schedule.task, opens=opens, deadline=deadline, missing=1, reason=reason)
        )
    return missed


def due_times(schedule: DailySchedule, start: datetime, now: datetime) -> Iterator[datetime]:
    """The slots due at or after `start` whose deadline has passed by `now`, in order."""
    zone = ZoneInfo(schedule.timezone)
    for day in _days(start.astimezone(zone).date(), now.astimezone(zone).date()):
        if schedule.weekdays and day.isoweekday() not in schedule.weekdays:
            continue
        for clock in sorted(schedule.times):
            due = datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
            if due >= start and due + schedule.grace <= now:
                yield due


def _missed_weekly(
    schedule: WeeklySchedule, times: list[datetime], start: datetime, now: datetime
) -> list[MissedSlot]:
    zone = ZoneInfo(schedule.timezone)
    first = start.astimezone(zone).date()
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    missed = []
    while _local_midnight(monday + timedelta(days=7), zone) <= now:
        slot = _short_week(schedule, times, monday, zone)
        if slot is not None:
            missed.append(slot)
        monday += timedelta(days=7)
    return missed


def _short_week(
    schedule: WeeklySchedule, times: list[datetime], monday: date, zone: ZoneInfo
) -> MissedSlot | None:
    begin, end = _local_midnight(monday, zone), _local_midnight(monday + timedelta(days=7), zone)
    lacking = schedule.per_week - (bisect_left(times, end) - bisect_left(times, begin))
    if lacking <= 0:
        return None
    year, week, _ = monday.isocalendar()
    reason = f"{lacking} of {schedule.per_week} {schedule.many} missing in {year}-W{week:02d}"
    return MissedSlot(task=schedule.task, opens=begin, deadline=end, missing=lacking, reason=reason)


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
