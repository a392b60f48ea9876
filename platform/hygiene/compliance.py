"""Compliance rates per ward and day or ISO week, and which wards fall below their target.

A rate is met / opportunities. With few opportunities a rate says little (two of three is 67 %,
one of three is 33 %), so a ward is judged against its target only when the period holds at
least `min_opportunities`; otherwise it is reported as too few to judge rather than as failing.
Published baselines are low (35 %, DOMAIN.md §6), so targets are per ward and set by the
infection-control lead, not fixed here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol, TypeVar

from tilsyn.platform.hygiene.counts import ComplianceCount

K = TypeVar("K", bound=Hashable)
Verdict = Literal["below target", "too few opportunities"]
DEFAULT_MIN_OPPORTUNITIES = 20


@dataclass(frozen=True, slots=True)
class Rate:
    opportunities: int
    met: int

    @property
    def rate(self) -> float | None:
        """None for a period without opportunities: no data is not 0 % compliance."""
        return self.met / self.opportunities if self.opportunities else None


@dataclass(frozen=True, slots=True)
class WardPeriod:
    ward: str
    period: str
    """"2024-03-04" for a day, "2024-W10" for an ISO week."""


@dataclass(frozen=True, slots=True)
class TargetFinding:
    ward: str
    period: str
    verdict: Verdict
    rate: float | None
    target: float
    opportunities: int
    reason: str


def rollup(counts: Iterable[ComplianceCount], key: Callable[[ComplianceCount], K]) -> dict[K, Rate]:
    """Counts summed over whatever `key` leaves out (roles, zone types, days), in first-seen
    order of the keys."""
    sums: dict[K, tuple[int, int]] = {}
    for count in counts:
        seen, met = sums.get(key(count), (0, 0))
        sums[key(count)] = (seen + count.opportunities, met + count.met)
    return {k: Rate(seen, met) for k, (seen, met) in sums.items()}


class OfWardDay(Protocol):
    """A count for a ward and a day: compliance, or events dropped."""

    @property
    def ward(self) -> str: ...

    @property
    def day(self) -> date: ...


def ward_day(count: OfWardDay) -> WardPeriod:
    return WardPeriod(count.ward, count.day.isoformat())


def ward_week(count: OfWardDay) -> WardPeriod:
    year, week, _ = count.day.isocalendar()
    return WardPeriod(count.ward, f"{year}-W{week:02d}")


def below_target(
    rates: Mapping[WardPeriod, Rate],
    targets: Mapping[str, float],
    min_opportunities: int = DEFAULT_MIN_OPPORTUNITIES,
) -> list[TargetFinding]:
    """Ward periods below their ward's target, or too thin to judge; wards without a target are
    not judged."""
    findings = []
    for where, rate in rates.items():
        target = targets.get(where.ward)
        if target is None:
            continue
        if not 0 <= target <= 1:
            raise ValueError(f"target for {where.ward} must be a fraction 0..1, got {target}")
        finding = _judge(where, rate, target, min_opportunities)
        if finding is not None:
            findings.append(finding)
    return findings


def _judge(where: WardPeriod, rate: Rate, target: float, minimum: int) -> TargetFinding | None:
    share = rate.rate
    if rate.opportunities < minimum or share is None:
        verdict: Verdict = "too few opportunities"
        reason = (
            f"{where.ward} {where.period}: {rate.opportunities} opportunities, fewer than {minimum}"
        )
    elif share < target:
        verdict = "below target"
        reason = (
            f"{where.ward} {where.period}: {share:.0%} ({rate.met} of {rate.opportunities}) "
            f"below the target {target:.0%}"
        )
    else:
        return None
    return TargetFinding(
        where.ward, where.period, verdict, share, target, rate.opportunities, reason
    )
