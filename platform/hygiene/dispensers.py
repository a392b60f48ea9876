"""Dispenser status rules: empty, low, battery low, offline.

An empty or silent dispenser makes compliance impossible at that spot and makes the ward's
numbers wrong, so the infection-control lead sees these next to the rates.

The time of a report: `tilsyn-hygiene-v1` dispenser messages carry the *start* of the window
their uses fall in, not the send time. The receive time from the network server is the honest
"last heard" time and is used when given; otherwise the latest moment the message vouches for
(its time plus its last use) stands in, which errs towards calling a dispenser offline a little
early, never late.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

FindingKind = Literal["empty", "low", "battery_low", "offline"]


@dataclass(frozen=True, slots=True)
class DispenserReport:
    dispenser_id: int
    time: int
    """Unix seconds the dispenser was last heard at (see the module docstring)."""
    refill_percent: int
    battery_percent: int

    @classmethod
    def from_message(
        cls, dispenser_id: int, message: Mapping[str, Any], received_at: int | None = None
    ) -> DispenserReport:
        if message.get("message") != "dispenser_status":
            raise ValueError(f"expected a dispenser_status message, got {message.get('message')!r}")
        heard = message["time"] + max(message["uses"], default=0)
        return cls(
            dispenser_id=dispenser_id,
            time=heard if received_at is None else received_at,
            refill_percent=message["refill_percent"],
            battery_percent=message["battery_percent"],
        )


@dataclass(frozen=True, slots=True)
class DispenserRules:
    empty_percent: int = 5
    low_percent: int = 20
    battery_low_percent: int = 10
    report_interval_s: int = 3600
    """The default; `dispenser_findings` takes each dispenser's own interval where known."""
    missed_reports: int = 3
    """Offline after more than this many report intervals without a word."""

    def offline(self, silent_s: float, interval_s: int) -> bool:
        """Silent for more than `missed_reports` intervals: not one lost uplink."""
        return silent_s > self.missed_reports * interval_s

    def __post_init__(self) -> None:
        if not 0 <= self.empty_percent <= self.low_percent <= 100:
            raise ValueError("need 0 <= empty_percent <= low_percent <= 100")
        if not 0 <= self.battery_low_percent <= 100:
            raise ValueError("battery_low_percent must lie within 0..100")
        if self.report_interval_s <= 0 or self.missed_reports <= 0:
            raise ValueError("report_interval_s and missed_reports must be positive")


DISPENSER_RULES = DispenserRules()
"""The rules the platform applies: alerts, the infection-control screen and its API."""


@dataclass(frozen=True, slots=True)
class DispenserFinding:
    dispenser_id: int
    kind: FindingKind
    reason: str


def dispenser_findings(
    reports: Iterable[DispenserReport],
    now: int,
    rules: DispenserRules | None = None,
    installed: Iterable[int] = (),
    intervals: Mapping[int, int] | None = None,
) -> list[DispenserFinding]:
    """Findings from each dispenser's latest report; `installed` dispensers never heard from
    are offline too. `intervals` holds a dispenser's own report interval where it is not the
    rules' default (the registry keeps one per dispenser)."""
    rules = rules or DispenserRules()
    intervals = intervals or {}
    latest: dict[int, DispenserReport] = {}
    for report in reports:
        known = latest.get(report.dispenser_id)
        if known is None or report.time > known.time:
            latest[report.dispenser_id] = report
    findings = [
        DispenserFinding(d, "offline", f"dispenser {d} has never reported")
        for d in sorted(set(installed) - latest.keys())
    ]
    for dispenser_id in sorted(latest):
        interval = intervals.get(dispenser_id, rules.report_interval_s)
        findings += _findings(latest[dispenser_id], now, rules, interval)
    return findings


def _findings(
    report: DispenserReport, now: int, rules: DispenserRules, interval_s: int
) -> list[DispenserFinding]:
    found: list[tuple[FindingKind, str]] = []
    refill = report.refill_percent
    if refill <= rules.empty_percent:
        found.append(("empty", f"refill at {refill} % (empty at ≤ {rules.empty_percent} %)"))
    elif refill <= rules.low_percent:
        found.append(("low", f"refill at {refill} % (low at ≤ {rules.low_percent} %)"))
    if report.battery_percent <= rules.battery_low_percent:
        found.append(("battery_low", f"battery at {report.battery_percent} %"))
    silent_min, every_min = (now - report.time) // 60, interval_s // 60
    if rules.offline(now - report.time, interval_s):
        found.append(
            ("offline", f"no report for {silent_min} min (expected every {every_min} min)")
        )
    prefix = f"dispenser {report.dispenser_id}: "
    return [DispenserFinding(report.dispenser_id, kind, prefix + why) for kind, why in found]
