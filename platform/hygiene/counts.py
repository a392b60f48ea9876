"""The only shapes hygiene results leave this package in: counts per ward, zone type, day and role,
and of the badge events left out of them, per ward, day and reason.

There is deliberately no field for a badge, a device or a person, and the dataclasses use
`slots`, so no such attribute can be attached later either. A cell for one role on one ward on
one day can still be small; the reports above this layer decide how small a cell they show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from tilsyn.platform.hygiene.site import Role, ZoneType

DropReason = Literal["late", "unmapped"]


@dataclass(frozen=True, slots=True, order=True)
class Cell:
    ward: str
    zone_type: ZoneType
    day: date
    """Local calendar day of the opportunity (the site's time zone)."""
    role: Role


@dataclass(frozen=True, slots=True)
class Outcome:
    """One decided opportunity, already stripped of everything but its cell."""

    cell: Cell
    met: bool


@dataclass(frozen=True, slots=True)
class ComplianceCount:
    ward: str
    zone_type: ZoneType
    day: date
    role: Role
    opportunities: int
    met: int

    def __post_init__(self) -> None:
        if not 0 <= self.met <= self.opportunities:
            raise ValueError(f"met {self.met} must lie within 0..{self.opportunities}")

    @property
    def cell(self) -> Cell:
        return Cell(self.ward, self.zone_type, self.day, self.role)


@dataclass(frozen=True, slots=True)
class DroppedCount:
    """Badge events a ward's counts leave out, per local day and reason: "late" came after
    their time had been decided, "unmapped" crossed a zone that is not registered."""

    ward: str
    day: date
    reason: DropReason
    zone_type: ZoneType | None
    """For a crossing WHO counts as an opportunity, its zone type as the badge reported it;
    None for a rub or another crossing."""
    events: int


def tally(outcomes: Iterable[Outcome]) -> list[ComplianceCount]:
    """Opportunities and met ones per cell, in cell order."""
    seen: Counter[Cell] = Counter()
    met: Counter[Cell] = Counter()
    for outcome in outcomes:
        seen[outcome.cell] += 1
        met[outcome.cell] += outcome.met
    return [_count(cell, seen[cell], met[cell]) for cell in sorted(seen)]


def merge(counts: Iterable[ComplianceCount]) -> list[ComplianceCount]:
    """Counts of the same cell added up, e.g. from many badges or many emissions of one."""
    seen: Counter[Cell] = Counter()
    met: Counter[Cell] = Counter()
    for count in counts:
        seen[count.cell] += count.opportunities
        met[count.cell] += count.met
    return [_count(cell, seen[cell], met[cell]) for cell in sorted(seen)]


def _count(cell: Cell, opportunities: int, met: int) -> ComplianceCount:
    return ComplianceCount(cell.ward, cell.zone_type, cell.day, cell.role, opportunities, met)
