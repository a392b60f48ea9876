"""Dispenser rules on each status report: empty and low refill. Offline is judged by the clock."""

from __future__ import annotations

from tilsyn.platform.alerts.models import Severity, Signal
from tilsyn.platform.ingest.tables import Row

EMPTY_PERCENT = 5
LOW_PERCENT = 20


def dispenser_signals(row: Row) -> list[Signal]:
    at, dev_eui, ward_id, dispenser_id, refill = row[0], row[1], row[2], row[3], row[5]
    name = f"{ward_id}/{dispenser_id}"

    def signal(rule: str, active: bool, severity: Severity, title: str) -> Signal:
        return Signal(
            "dispenser",
            dev_eui,
            rule,
            active,
            at,
            severity,
            "infection_control",
            ward_id,
            title,
            {"refill_percent": refill},
        )

    return [
        signal(
            "dispenser_empty",
            refill <= EMPTY_PERCENT,
            "critical",
            f"Dispenser {name} is empty ({refill} %)",
        ),
        signal(
            "dispenser_low",
            EMPTY_PERCENT < refill <= LOW_PERCENT,
            "warning",
            f"Dispenser {name} is low ({refill} %)",
        ),
    ]
