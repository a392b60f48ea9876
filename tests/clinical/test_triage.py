"""Triage order: the worst of colour, NEWS2 and missed or stopped measuring decides the level;
then colour, band, a missed task and the longest time since the last measurement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tilsyn.platform.clinical.triage import PatientStatus, triage

NOW = datetime(2024, 3, 4, 3, 0, tzinfo=UTC)
QUIET_AFTER = timedelta(days=14)


def patient(pid, colour, band, hours_ago, missed=()):
    last = None if hours_ago is None else NOW - timedelta(hours=hours_ago)
    return PatientStatus(
        patient_id=pid, colour=colour, news2_band=band, last_measurement=last, missed=missed
    )


def order(*patients):
    return [p.patient_id for p in triage(patients, NOW, QUIET_AFTER)]


def test_red_then_yellow_then_green_when_news2_agrees():
    assert order(
        patient("green-low", "green", "low", 1),
        patient("yellow-routine", "yellow", "routine", 1),
        patient("red-routine", "red", "routine", 1),
    ) == ["red-routine", "yellow-routine", "green-low"]


def test_news2_lifts_a_patient_her_own_thresholds_call_green_or_that_has_none():
    assert order(
        patient("yellow-routine", "yellow", "routine", 1),
        patient("green-high", "green", "high", 1),
        patient("red-routine", "red", "routine", 1),
        patient("no-thresholds-medium", None, "medium", 1),
        patient("green-routine", "green", "routine", 1),
        patient("no-thresholds-low", None, "low", 1),
    ) == [
        "red-routine",
        "green-high",  # NEWS2 high is an emergency response, whatever her own plan says
        "yellow-routine",
        "no-thresholds-medium",
        "green-routine",
        "no-thresholds-low",
    ]


def test_within_a_colour_the_band_decides():
    bands = ["routine", None, "low", "high", "low-medium", "medium"]
    patients = [patient(str(band), "yellow", band, 1) for band in bands]
    assert order(*patients) == ["high", "medium", "low-medium", "low", "routine", "None"]


def test_then_the_longest_silence_first_and_never_measured_before_all():
    assert order(
        patient("recent", "green", "low", 2),
        patient("never", "green", "low", None),
        patient("stale", "green", "low", 30),
    ) == ["never", "stale", "recent"]


def test_a_missed_task_or_a_patient_who_stopped_measuring_is_called_before_green():
    weight = ("Weight due Mon 2024-03-04 08:00 not measured by 11:00",)
    assert order(
        patient("green", "green", "routine", 1),
        patient("missed", "green", "routine", 20, missed=weight),
        patient("quiet", None, None, 15 * 24),
        patient("yellow", "yellow", "routine", 1),
        patient("unjudged", None, None, None),
    ) == ["yellow", "missed", "quiet", "green", "unjudged"]


def test_unjudged_patients_come_after_green_and_ties_break_by_id():
    assert order(
        patient("b", None, None, None),
        patient("a", None, None, None),
        patient("g", "green", None, 1),
    ) == ["g", "a", "b"]


def test_each_position_says_why():
    board = triage(
        [patient("p1", "red", "medium", 26.5), patient("p2", None, None, None)], NOW, QUIET_AFTER
    )
    assert [(p.position, p.patient_id) for p in board] == [(1, "p1"), (2, "p2")]
    assert board[0].reason == "red (worst latest value); NEWS2 medium; last measurement 1 d 2 h ago"
    assert board[1].reason == "no values judged yet; NEWS2 not scored; never measured"
    minutes = triage([patient("p3", "green", "routine", 0.75)], NOW, QUIET_AFTER)[0].reason
    assert minutes.endswith("last measurement 45 min ago")
    quiet = triage([patient("p4", None, None, 15 * 24 + 2)], NOW, QUIET_AFTER)[0].reason
    assert quiet == "no values judged yet; NEWS2 not scored; nothing measured for 15 d 2 h"
    missed = patient("p5", "green", "routine", 20, missed=("Weight due 08:00 not measured",))
    assert triage([missed], NOW, QUIET_AFTER)[0].reason == (
        "green (worst latest value); NEWS2 routine; missed: Weight due 08:00 not measured;"
        " last measurement 20 h 0 min ago"
    )
