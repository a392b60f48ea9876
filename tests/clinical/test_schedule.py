"""Missed measurement slots: daily local clock times with a window, and N per week."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tilsyn.platform.clinical.schedule import DailySchedule, WeeklySchedule, missed_slots

OSLO = ZoneInfo("Europe/Oslo")
MORNING = DailySchedule(kind="body_weight", times=(time(8, 0),))


def oslo(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=OSLO)


def test_a_measurement_inside_the_window_meets_the_slot_and_a_missing_one_is_reported():
    measured = [oslo(4, 7, 30), oslo(6, 10, 59)]  # Monday early, Wednesday late but in grace
    missed = missed_slots(MORNING, measured, start=oslo(4, 0), now=oslo(7, 10))
    assert [m.deadline for m in missed] == [oslo(5, 11)]
    assert missed[0].opens == oslo(5, 4) and missed[0].missing == 1
    assert missed[0].reason == "Weight due Tue 2024-03-05 08:00 not measured by 11:00"


@pytest.mark.parametrize(
    ("measured", "is_missed"),
    [
        (oslo(4, 3, 59), True),  # before the slot opens
        (oslo(4, 4, 0), False),  # opens_before = 4 h, inclusive
        (oslo(4, 11, 0), False),  # grace = 3 h, inclusive
        (oslo(4, 11, 1), True),  # after the deadline
    ],
)
def test_window_edges(measured, is_missed):
    missed = missed_slots(MORNING, [measured], start=oslo(4, 0), now=oslo(4, 12))
    assert bool(missed) is is_missed


def test_a_slot_is_not_missed_before_its_deadline_nor_before_the_plan_started():
    assert missed_slots(MORNING, [], start=oslo(4, 0), now=oslo(4, 10, 59)) == []
    assert len(missed_slots(MORNING, [], start=oslo(4, 0), now=oslo(4, 11))) == 1
    assert missed_slots(MORNING, [], start=oslo(4, 8, 1), now=oslo(5, 10)) == []


def test_one_measurement_cannot_meet_two_slots():
    twice = DailySchedule(
        kind="systolic_bp",
        times=(time(8), time(12)),
        opens_before=timedelta(hours=2),
        grace=timedelta(hours=3),
    )
    missed = missed_slots(twice, [oslo(4, 9, 30)], start=oslo(4, 0), now=oslo(4, 18))
    assert [m.reason for m in missed] == [
        "Systolic BP due Mon 2024-03-04 12:00 not measured by 15:00"
    ]


def test_slots_stay_at_local_time_across_daylight_saving():
    # Europe/Oslo moves to summer time on Sunday 31 March 2024.
    measured_utc = [datetime(2024, 3, 30, 7, 0, tzinfo=UTC), datetime(2024, 4, 1, 6, 0, tzinfo=UTC)]
    missed = missed_slots(MORNING, measured_utc, start=oslo(30, 0), now=oslo(1, 12, month=4))
    assert [m.deadline.astimezone(UTC) for m in missed] == [datetime(2024, 3, 31, 9, tzinfo=UTC)]


def test_a_task_on_some_weekdays_is_due_on_those_local_days_only():
    # Monday and Thursday at 08:00; 4 to 17 March 2024, summer time from Sunday 31 March.
    twice_weekly = DailySchedule(kind="body_weight", times=(time(8),), weekdays=frozenset({1, 4}))
    missed = missed_slots(twice_weekly, [oslo(7, 8)], start=oslo(4, 0), now=oslo(17, 23))
    assert [m.reason[:25] for m in missed] == [
        "Weight due Mon 2024-03-04",
        "Weight due Mon 2024-03-11",
        "Weight due Thu 2024-03-14",
    ]
    across_the_change = missed_slots(twice_weekly, [], start=oslo(31, 0), now=oslo(2, 0, month=4))
    assert [m.deadline for m in across_the_change] == [oslo(1, 11, month=4)]
    assert twice_weekly.longest_gap == timedelta(days=4)
    assert MORNING.longest_gap == timedelta(days=1)


def test_weekly_schedule_counts_whole_local_weeks():
    three = WeeklySchedule(kind="blood_glucose", per_week=3)
    measured = [oslo(4, 9), oslo(6, 9), oslo(10, 23, 59), oslo(11, 0, 0), oslo(13, 9)]
    # Plan starts Friday 1 March: that part-week is not judged; weeks start Monday 4 March.
    missed = missed_slots(three, measured, start=oslo(1, 12), now=oslo(25, 0))
    assert [(m.opens, m.missing) for m in missed] == [(oslo(11, 0), 1), (oslo(18, 0), 3)]
    assert missed[0].reason == "1 of 3 Blood glucose measurements missing in 2024-W11"
    assert missed_slots(three, measured, start=oslo(1, 12), now=oslo(24, 23)) == missed[:1]


def test_schedules_refuse_nonsense():
    with pytest.raises(ValidationError):
        DailySchedule(kind="body_weight", times=())
    with pytest.raises(ValidationError):
        DailySchedule(kind="body_weight", times=(time(8),), timezone="Mars/Olympus")
    with pytest.raises(ValidationError):
        WeeklySchedule(kind="body_weight", per_week=0)


def test_a_questionnaire_is_scheduled_and_missed_like_a_measurement():
    daily = DailySchedule(questionnaire="copd-daily", times=(time(10),))
    (missed,) = missed_slots(daily, [oslo(4, 9)], start=oslo(4, 0), now=oslo(5, 14))
    assert missed.task == "questionnaire:copd-daily"
    assert (
        missed.reason == "Questionnaire copd-daily due Tue 2024-03-05 10:00 not answered by 13:00"
    )
    weekly = WeeklySchedule(questionnaire="heart-weekly", per_week=2)
    (short,) = missed_slots(weekly, [oslo(5, 9)], start=oslo(4, 0), now=oslo(11, 0))
    assert short.reason == "1 of 2 Questionnaire heart-weekly answers missing in 2024-W10"
    assert MORNING.task == "body_weight"


@pytest.mark.parametrize(
    "what",
    [{}, {"kind": "body_weight", "questionnaire": "copd-daily"}, {"questionnaire": "copd daily"}],
)
def test_a_task_is_one_kind_or_one_questionnaire_by_a_plain_name(what):
    with pytest.raises(ValidationError):
        DailySchedule(times=(time(8),), **what)
