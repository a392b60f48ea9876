"""Dispenser status rules: empty, low, battery, offline, and the time a report stands for."""

from __future__ import annotations

import pytest

from tilsyn.codecs import decode, encode
from tilsyn.platform.hygiene.dispensers import (
    DispenserReport,
    DispenserRules,
    dispenser_findings,
)

NOW = 1_709_535_600
HOUR = 3600


def report(dispenser=1, refill=80, battery=90, age_s=600):
    return DispenserReport(dispenser, NOW - age_s, refill, battery)


def kinds(*reports, **options):
    return [(f.dispenser_id, f.kind) for f in dispenser_findings(reports, NOW, **options)]


@pytest.mark.parametrize(
    ("refill", "expected"),
    [(0, ["empty"]), (5, ["empty"]), (6, ["low"]), (20, ["low"]), (21, []), (100, [])],
)
def test_refill_levels(refill, expected):
    assert [kind for _, kind in kinds(report(refill=refill))] == expected


def test_battery_and_thresholds_are_configurable():
    assert kinds(report(battery=10)) == [(1, "battery_low")]
    assert kinds(report(battery=11)) == []
    strict = DispenserRules(empty_percent=10, low_percent=30)
    assert kinds(report(refill=8), rules=strict) == [(1, "empty")]
    assert kinds(report(refill=25), rules=strict) == [(1, "low")]


def test_offline_after_more_than_k_intervals_without_a_report():
    assert kinds(report(age_s=3 * HOUR)) == []
    assert kinds(report(age_s=3 * HOUR + 1)) == [(1, "offline")]
    quick = DispenserRules(report_interval_s=900, missed_reports=2)
    assert kinds(report(age_s=1801), rules=quick) == [(1, "offline")]
    (finding,) = dispenser_findings([report(age_s=1801)], NOW, quick)
    assert finding.reason == "dispenser 1: no report for 30 min (expected every 15 min)"
    own = {1: 600}  # this dispenser reports every 10 minutes
    assert kinds(report(age_s=1801), intervals=own) == [(1, "offline")]
    assert kinds(report(age_s=1800), intervals=own) == []


def test_the_latest_report_decides_and_installed_silent_dispensers_are_offline():
    old_empty = report(dispenser=2, refill=0, age_s=2 * HOUR)
    refilled = report(dispenser=2, refill=100, age_s=60)
    found = kinds(refilled, old_empty, report(dispenser=3, refill=3), installed=[2, 3, 4])
    assert found == [(4, "offline"), (3, "empty")]


def test_report_time_is_the_receive_time_or_the_last_use():
    payload = encode(
        "tilsyn-hygiene-v1",
        {
            "message": "dispenser_status",
            "time": NOW,
            "use_count": 1234,
            "refill_percent": 55,
            "battery_percent": 90,
            "uses": [5, 60, 61],
        },
    )
    message = decode("tilsyn-hygiene-v1", payload)
    assert DispenserReport.from_message(7, message) == DispenserReport(7, NOW + 61, 55, 90)
    assert DispenserReport.from_message(7, message, received_at=NOW + 900).time == NOW + 900
    with pytest.raises(ValueError, match="dispenser_status"):
        DispenserReport.from_message(7, {"message": "badge_events"})


def test_rules_refuse_inverted_thresholds():
    with pytest.raises(ValueError):
        DispenserRules(empty_percent=30, low_percent=20)
    with pytest.raises(ValueError):
        DispenserRules(report_interval_s=0)
