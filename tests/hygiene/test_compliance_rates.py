"""Rates per ward and day or ISO week, and the below-target findings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tilsyn.platform.hygiene.compliance import (
    Rate,
    WardPeriod,
    below_target,
    rollup,
    ward_day,
    ward_week,
)
from tilsyn.platform.hygiene.counts import ComplianceCount, merge

SUNDAY = date(2024, 3, 10)  # ISO week 10 ends; Monday 11 March starts week 11


def count(ward, day, opportunities, met, zone="patient_zone", role="nurse"):
    return ComplianceCount(ward, zone, day, role, opportunities, met)


COUNTS = [
    count("A", SUNDAY, 10, 4),
    count("A", SUNDAY, 6, 6, zone="clean_room"),
    count("A", SUNDAY, 4, 0, role="doctor"),
    count("A", SUNDAY + timedelta(days=1), 8, 2),
    count("A", SUNDAY + timedelta(days=7), 12, 9),
    count("B", SUNDAY, 5, 5),
]


def test_per_ward_and_day_sums_roles_and_zone_types():
    rates = rollup(COUNTS, ward_day)
    assert rates[WardPeriod("A", "2024-03-10")] == Rate(20, 10)
    assert rates[WardPeriod("A", "2024-03-11")] == Rate(8, 2)
    assert rates[WardPeriod("B", "2024-03-10")].rate == 1.0


def test_weekly_rollup_follows_iso_weeks():
    rates = rollup(COUNTS, ward_week)
    assert rates == {
        WardPeriod("A", "2024-W10"): Rate(20, 10),
        WardPeriod("A", "2024-W11"): Rate(20, 11),
        WardPeriod("B", "2024-W10"): Rate(5, 5),
    }


def test_other_rollups_by_any_key():
    by_zone = rollup(COUNTS, lambda c: (c.ward, c.zone_type))
    assert by_zone[("A", "clean_room")] == Rate(6, 6)


def test_merge_adds_up_the_same_cell():
    merged = merge([*COUNTS[:1], *COUNTS[:1]])
    assert merged == [count("A", SUNDAY, 20, 8)]


def test_a_period_without_opportunities_has_no_rate_rather_than_zero():
    assert Rate(0, 0).rate is None
    with pytest.raises(ValueError):
        count("A", SUNDAY, 3, 4)


def test_below_target_and_too_few_to_judge():
    rates = {
        WardPeriod("A", "2024-W10"): Rate(40, 14),  # 35 %
        WardPeriod("B", "2024-W10"): Rate(40, 24),  # 60 %, exactly on target
        WardPeriod("C", "2024-W10"): Rate(19, 0),
        WardPeriod("D", "2024-W10"): Rate(50, 1),  # no target set
    }
    findings = below_target(rates, {"A": 0.6, "B": 0.6, "C": 0.6})
    assert [(f.ward, f.verdict) for f in findings] == [
        ("A", "below target"),
        ("C", "too few opportunities"),
    ]
    assert findings[0].reason == "A 2024-W10: 35% (14 of 40) below the target 60%"
    assert findings[1].rate == 0.0 and findings[1].opportunities == 19
    assert below_target(rates, {"C": 0.6}, min_opportunities=10)[0].verdict == "below target"


def test_targets_are_fractions():
    with pytest.raises(ValueError, match="fraction"):
        below_target({WardPeriod("A", "2024-W10"): Rate(40, 14)}, {"A": 60})
