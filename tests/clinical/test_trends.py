"""Trend rules: weight up 2 kg within 3 days, episodes, falls, and a brute-force cross-check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tilsyn.platform.clinical.trends import (
    WEIGHT_GAIN,
    Measurement,
    TrendRule,
    rule_findings,
    trend_findings,
)

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def weights(*points: tuple[float, float]) -> list[Measurement]:
    """(days after T0, kg) pairs as weight measurements."""
    return [Measurement(kind="body_weight", time=T0 + d * DAY, value=kg) for d, kg in points]


def test_two_kilos_in_two_and_a_half_days_is_a_finding():
    (finding,) = trend_findings(weights((0, 80.0), (1, 81.0), (2.5, 82.0)))
    assert (finding.start_value, finding.end_value) == (80.0, 82.0)
    assert finding.start_time == T0 and finding.end_time == T0 + 2.5 * DAY
    assert finding.detected_at == finding.end_time
    assert finding.reason == (
        "Weight up 2.0 kg from 80 kg on 2024-03-01 09:00 CET to 82 kg on 2024-03-03 21:00 CET "
        "(rule: +2 kg within 3 days)"
    )


def test_the_window_is_inclusive_to_the_second():
    assert len(trend_findings(weights((0, 80.0), (3, 82.0)))) == 1
    just_after = Measurement(
        kind="body_weight", time=T0 + 3 * DAY + timedelta(seconds=1), value=82.0
    )
    late = [*weights((0, 80.0)), just_after]
    assert trend_findings(late) == []


def test_a_smaller_rise_and_other_kinds_are_not_findings():
    assert trend_findings(weights((0, 80.0), (2, 81.9))) == []
    glucose = [
        Measurement(kind="blood_glucose", time=T0, value=5.0),
        Measurement(kind="blood_glucose", time=T0 + DAY, value=9.0),
    ]
    assert trend_findings(glucose) == []


def test_a_steady_gain_is_one_episode_with_its_largest_change():
    history = weights((0, 80.0), (1, 80.8), (2, 81.6), (3, 82.4), (4, 83.2), (5, 84.0))
    (finding,) = trend_findings(reversed(history))  # order of input does not matter
    assert finding.detected_at == T0 + 3 * DAY
    assert finding.end_value - finding.start_value == pytest.approx(2.4)


def test_episodes_separated_by_a_calm_reading_are_reported_apart():
    history = weights((0, 80.0), (2, 82.5), (3, 82.4), (4, 82.6), (6, 82.5), (7, 84.6))
    findings = trend_findings(history)
    assert [f.detected_at for f in findings] == [T0 + 2 * DAY, T0 + 7 * DAY]


def test_a_falling_rule():
    loss = TrendRule(kind="body_weight", change=-3.0, window=timedelta(days=7))
    (finding,) = trend_findings(weights((0, 70.0), (3, 68.5), (6, 66.9)), rules=[loss])
    assert finding.reason.startswith("Weight down 3.1 kg from 70 kg")
    assert trend_findings(weights((0, 70.0), (3, 68.5), (6, 66.9)), rules=[WEIGHT_GAIN]) == []


def test_rules_must_change_something_over_some_time():
    with pytest.raises(ValidationError):
        TrendRule(kind="body_weight", change=0, window=timedelta(days=3))
    with pytest.raises(ValidationError):
        TrendRule(kind="body_weight", change=2, window=timedelta(0))


def brute_force(series, rule):
    """Each run of rule-breaking readings: (first breaking index, largest change in the run)."""
    sign = 1 if rule.change > 0 else -1
    runs, current = [], None
    for j, (t, v) in enumerate(series):
        earlier = [w for s, w in series[:j] if t - s <= rule.window]
        best = max((sign * (v - w) for w in earlier), default=None)
        if best is not None and best >= abs(rule.change):
            current = [j, best] if current is None else [current[0], max(current[1], best)]
        elif current is not None:
            runs.append(tuple(current))
            current = None
    return [*runs, tuple(current)] if current is not None else runs


@given(
    st.lists(st.tuples(st.integers(0, 20 * 24), st.integers(-30, 30)), min_size=0, max_size=25),
    st.sampled_from([2.0, -2.0, 1.0]),
)
def test_sliding_window_agrees_with_brute_force(points, change):
    rule = TrendRule(kind="body_weight", change=change, window=timedelta(days=3))
    series = sorted((T0 + timedelta(hours=h), 80 + tenths / 10) for h, tenths in points)
    findings = rule_findings(series, rule)
    expected = brute_force(series, rule)
    assert [f.detected_at for f in findings] == [series[first][0] for first, _ in expected]
    sign = 1 if change > 0 else -1
    changes = [sign * (f.end_value - f.start_value) for f in findings]
    assert changes == pytest.approx([best for _, best in expected])
