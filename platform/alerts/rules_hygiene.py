"""Dispenser rules on each status report: empty and low refill, low battery, by the platform's
`DISPENSER_RULES`. Offline is judged by the clock (`periodic.py`)."""

from __future__ import annotations

from tilsyn.platform.alerts.models import Severity, Signal
from tilsyn.platform.hygiene.dispensers import DISPENSER_RULES as RULES
from tilsyn.platform.ingest.tables import Row

# A battery reading wavers; the alert clears only once it is clearly up (a fresh battery).
BATTERY_CLEAR_MARGIN = 10


def dispenser_signals(row: Row) -> list[Signal]:
    at, dev_eui, ward_id, dispenser_id = row[0], row[1], row[2], row[3]
    refill, battery = row[5], row[6]
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
            {"refill_percent": refill, "battery_percent": battery},
        )

    signals = [
        signal(
            "dispenser_empty",
            refill <= RULES.empty_percent,
            "critical",
            f"Dispenser {name} is empty ({refill} %)",
        ),
        signal(
            "dispenser_low",
            RULES.empty_percent < refill <= RULES.low_percent,
            "warning",
            f"Dispenser {name} is low ({refill} %)",
        ),
    ]
    low = RULES.battery_low_percent
    if battery is not None and (battery <= low or battery >= low + BATTERY_CLEAR_MARGIN):
        signals.append(
            signal(
                "dispenser_battery",
                battery <= low,
                "info",
                f"Dispenser {name} battery at {battery} %: change it on the next round",
            )
        )
    return signals
