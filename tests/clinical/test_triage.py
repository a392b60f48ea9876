"""Triage order: colour, then NEWS2 band, then the longest time since the last measurement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tilsyn.platform.clinical.triage import PatientStatus, triage

NOW = datetime(2024, 3, 4, 3, 0, tzinfo=UTC)


def patient(pid, colour, band, hours_ago):
    last = None if hours_ago is None else NOW - timedelta(hours=hours_ago)
    return PatientStatus(patient_id=pid, colour=colour, news2_band=band, last_measurement=last)


def order(*patients):
    return [p.patient_id for p in triage(patients, NOW)]


def test_colour_comes_first_whatever_the_band():
    assert order(
        patient("green-high", "green", "high", 1),
        patient("yellow-routine", "yellow", "routine", 1),
        patient("red-routine", "red", "routine", 1),
    ) == ["red-routine", "yellow-routine", "green-high"]


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


def test_unjudged_patients_come_after_green_and_ties_break_by_id():
    assert order(
        patient("b", None, None, None),
        patient("a", None, None, None),
        patient("g", "green", None, 1),
    ) == ["g", "a", "b"]


def test_each_position_says_why():
    board = triage([patient("p1", "red", "medium", 26.5), patient("p2", None, None, None)], NOW)
    assert [(p.position, p.patient_id) for p in board] == [(1, "p1"), (2, "p2")]
    assert board[0].reason == "red (worst latest value); NEWS2 medium; last measurement 1 d 2 h ago"
    assert board[1].reason == "no values judged yet; NEWS2 not scored; never measured"
    minutes = triage([patient("p3", "green", "routine", 0.75)], NOW)[0].reason
    assert minutes.endswith("last measurement 45 min ago")
