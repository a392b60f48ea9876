"""Trend rules over a patient's history, such as a weight gain that signals fluid retention.

The default rule follows heart-failure self-care advice: contact the care team when weight rises
by 2 kg or more within 3 days. A rule compares each measurement with the lowest (for a rise) or
highest (for a fall) value of the same kind in the window before it, both ends inclusive.

Consecutive measurements that each break the rule are one episode, reported once with its
largest change: a patient gaining steadily for a week is one finding, not one per weighing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from tilsyn.platform.clinical.plan import LABELS, Kind
from tilsyn.platform.clinical.schedule import CARE_TIMEZONE


class Measurement(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    kind: Kind
    time: AwareDatetime
    value: float


class TrendRule(BaseModel):
    """`change` is signed: +2.0 means "up by 2 or more", -3.0 "down by 3 or more"."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    kind: Kind
    change: float = Field(description="nonzero; in the kind's unit")
    window: timedelta = Field(gt=timedelta(0))

    @field_validator("change")
    @classmethod
    def _nonzero(cls, change: float) -> float:
        if change == 0:
            raise ValueError("a trend rule needs a nonzero change")
        return change


WEIGHT_GAIN = TrendRule(kind="body_weight", change=2.0, window=timedelta(days=3))


class TrendFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Kind
    start_time: datetime
    start_value: float
    end_time: datetime
    end_value: float
    detected_at: datetime = Field(description="the first measurement that broke the rule")
    reason: str


def trend_findings(
    history: Iterable[Measurement], rules: Sequence[TrendRule] = (WEIGHT_GAIN,)
) -> list[TrendFinding]:
    """Every episode of every rule, oldest first."""
    history = list(history)
    findings: list[TrendFinding] = []
    for rule in rules:
        series = sorted((m.time, m.value) for m in history if m.kind == rule.kind)
        findings += rule_findings(series, rule)
    return sorted(findings, key=lambda f: (f.detected_at, f.kind))


def rule_findings(series: Sequence[tuple[datetime, float]], rule: TrendRule) -> list[TrendFinding]:
    """Episodes in a time-ordered series; a sliding-window extreme keeps this linear."""
    sign = 1 if rule.change > 0 else -1
    extreme: deque[int] = deque()  # indices in the window, values monotonic: front is the extreme
    findings: list[TrendFinding] = []
    episode: tuple[int, int, int] | None = None  # (start, end, first end) of the largest change
    for j, (time, value) in enumerate(series):
        while extreme and time - series[extreme[0]][0] > rule.window:
            extreme.popleft()
        broken = bool(extreme) and sign * (value - series[extreme[0]][1]) >= abs(rule.change)
        if broken:
            episode = _widest(series, sign, episode, extreme[0], j)
        elif episode is not None:
            findings.append(_finding(series, rule, episode))
            episode = None
        while extreme and sign * series[extreme[-1]][1] >= sign * value:
            extreme.pop()
        extreme.append(j)
    if episode is not None:
        findings.append(_finding(series, rule, episode))
    return findings


def _widest(
    series: Sequence[tuple[datetime, float]],
    sign: int,
    episode: tuple[int, int, int] | None,
    start: int,
    end: int,
) -> tuple[int, int, int]:
    """The episode extended by (start, end), keeping the pair with the largest change."""
    if episode is None:
        return start, end, end
    old_start, old_end, first = episode
    old_change = sign * (series[old_end][1] - series[old_start][1])
    new_change = sign * (series[end][1] - series[start][1])
    return (start, end, first) if new_change > old_change else episode


def _finding(
    series: Sequence[tuple[datetime, float]], rule: TrendRule, episode: tuple[int, int, int]
) -> TrendFinding:
    (start_time, start_value), (end_time, end_value) = series[episode[0]], series[episode[1]]
    label, unit = LABELS[rule.kind]
    change = end_value - start_value
    local = ZoneInfo(CARE_TIMEZONE)  # as the care team reads times, with the zone said
    reason = (
        f"{label} {'up' if change > 0 else 'down'} {abs(change):.1f} {unit} "
        f"from {start_value:g} {unit} on {start_time.astimezone(local):%Y-%m-%d %H:%M %Z} "
        f"to {end_value:g} {unit} on {end_time.astimezone(local):%Y-%m-%d %H:%M %Z} "
        f"(rule: {rule.change:+g} {unit} within {_span(rule.window)})"
    )
    return TrendFinding(
        kind=rule.kind,
        start_time=start_time,
        start_value=start_value,
        end_time=end_time,
        end_value=end_value,
        detected_at=series[episode[2]][0],
        reason=reason,
    )


def _span(window: timedelta) -> str:
    if window % timedelta(days=1) == timedelta(0):
        return f"{window.days} days"
    return f"{window / timedelta(hours=1):g} hours"
