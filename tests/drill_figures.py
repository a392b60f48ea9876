"""The figures each drill reports, collected for the table printed at the end of the run."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import Any


@dataclass(frozen=True)
class DrillFigures:
    drill: str
    sent: int
    stored: int
    lost: int
    recovery_s: float | None
    note: str = ""


LONG_DRILLS_WANTED = os.environ.get("TILSYN_DRILLS") == "all"

# The name under which a drill's figures ride on its test report: the tests may run in
# worker processes (pytest-xdist), and only the reports reach the process that prints the table.
PROPERTY = "drill_figures"


class DrillReport:
    """What one drill hands to the table; `lost` counts acknowledged messages not stored.

    A drill marked xfail shows a gap known and not yet closed: its row says so."""

    def __init__(
        self,
        name: str,
        record: Callable[[str, object], None],
        known_gap: bool = False,
    ) -> None:
        self.name, self.record, self.known_gap = name, record, known_gap

    def __call__(
        self, *, sent: int, stored: int, lost: int, recovery_s: float | None, note: str = ""
    ) -> None:
        if self.known_gap:
            note = f"KNOWN GAP (xfail): {note}"
        figures = DrillFigures(self.name, sent, stored, lost, recovery_s, note)
        self.record(PROPERTY, astuple(figures))


def figures_of(user_properties: list[tuple[str, Any]]) -> list[DrillFigures]:
    return [DrillFigures(*value) for name, value in user_properties if name == PROPERTY]


def drill_table(figures: list[DrillFigures]) -> list[str]:
    header = ("drill", "sent", "stored", "lost", "recovery", "note")
    rows = [
        (
            f.drill,
            str(f.sent),
            str(f.stored),
            str(f.lost),
            "-" if f.recovery_s is None else f"{f.recovery_s:.1f} s",
            f.note,
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        return "  ".join([*cells, row[-1]]).rstrip()

    return [line(header), *(line(row) for row in rows)]
