"""When each patient is to measure what and answer which questionnaire: the care team's tasks
("weight at 08:00", "copd-daily at 10:00"), every day or on some weekdays ("on Mondays and
Thursdays").

A missed task raises a warning (DOMAIN.md §5, `alerts.periodic.missed_tasks`). The whole
schedule is set at once, as the home-care screen edits it: an empty list clears it.
"""

from __future__ import annotations

from datetime import datetime, time

import psycopg
from pydantic import Field, field_validator

from tilsyn.platform.clinical.schedule import (
    CARE_TIMEZONE,
    DailySchedule,
    ScheduledThing,
    TimeZoneName,
)

MAX_TIMES_PER_DAY = 12


class ScheduledTask(ScheduledThing):
    times: list[str] = Field(
        min_length=1, max_length=MAX_TIMES_PER_DAY, description="local clock times, HH:MM"
    )
    timezone: TimeZoneName = CARE_TIMEZONE
    weekdays: list[int] | None = Field(
        None, description="ISO weekdays the times are due on (1 = Monday); none: every day"
    )

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, weekdays: list[int] | None) -> list[int] | None:
        if weekdays is None:
            return None
        if not weekdays:
            raise ValueError("no weekday: leave the weekdays out for every day")
        if any(not 1 <= day <= 7 for day in weekdays):
            raise ValueError("a weekday is 1 (Monday) to 7 (Sunday)")
        if len(set(weekdays)) != len(weekdays):
            raise ValueError("the same weekday twice")
        return None if len(weekdays) == 7 else sorted(weekdays)  # all seven: every day

    @field_validator("times")
    @classmethod
    def _clock_times(cls, times: list[str]) -> list[str]:
        parsed = []
        for text in times:
            try:
                clock = time.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{text!r} is not a clock time (HH:MM)") from None
            if len(text) != 5 or clock.second or clock.tzinfo:
                raise ValueError(f"{text!r} is not a clock time (HH:MM)")
            parsed.append(clock)
        if len(set(parsed)) != len(parsed):
            raise ValueError("the same time twice")
        return [f"{t:%H:%M}" for t in sorted(parsed)]

    def daily(self) -> DailySchedule:
        return DailySchedule(
            kind=self.kind,
            questionnaire=self.questionnaire,
            timezone=self.timezone,
            times=tuple(time.fromisoformat(t) for t in self.times),
            weekdays=None if self.weekdays is None else frozenset(self.weekdays),
        )


def check_one_entry_per_task(tasks: list[ScheduledTask]) -> None:
    keys = [t.task for t in tasks]
    twice = sorted({t.label for t in tasks if keys.count(t.task) > 1})
    if twice:
        raise ValueError(f"one entry per measurement or questionnaire; twice: {', '.join(twice)}")


def read_schedule(conn: psycopg.Connection, patient_id: str) -> list[ScheduledTask]:
    """Measurements by kind, then questionnaires by name."""
    rows = conn.execute(
        "SELECT kind, questionnaire, times, timezone, weekdays FROM patient_schedules"
        " WHERE patient_id = %s ORDER BY kind NULLS LAST, questionnaire",
        (patient_id,),
    ).fetchall()
    return [
        ScheduledTask(kind=r[0], questionnaire=r[1], times=list(r[2]), timezone=r[3], weekdays=r[4])
        for r in rows
    ]


def save_schedule(
    conn: psycopg.Connection,
    patient_id: str,
    tasks: list[ScheduledTask],
    since: datetime | None = None,
) -> None:
    """Replace the patient's schedule with `tasks` (one per kind or questionnaire). A task new
    or changed is judged from `since` (None: over the missed-task rule's whole look-back); one
    saved again unchanged keeps its own, so editing another task does not clear its warning."""
    check_one_entry_per_task(tasks)
    kept = {
        (kind, questionnaire, tuple(times), timezone, tuple(weekdays or ())): set_since
        for kind, questionnaire, times, timezone, weekdays, set_since in conn.execute(
            "SELECT kind, questionnaire, times, timezone, weekdays, since FROM patient_schedules"
            " WHERE patient_id = %s",
            (patient_id,),
        )
    }
    conn.execute("DELETE FROM patient_schedules WHERE patient_id = %s", (patient_id,))
    for task in tasks:
        same = (
            task.kind,
            task.questionnaire,
            tuple(task.times),
            task.timezone,
            tuple(task.weekdays or ()),
        )
        conn.execute(
            "INSERT INTO patient_schedules"
            " (patient_id, kind, questionnaire, times, timezone, weekdays, since)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                patient_id,
                task.kind,
                task.questionnaire,
                task.times,
                task.timezone,
                task.weekdays,
                kept.get(same, since),
            ),
        )
