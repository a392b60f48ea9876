"""Clock times shown for plan seconds, on nights the clocks change."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tilsyn.routing.checks.common import at
from tilsyn.routing.clock import clock

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@pytest.mark.parametrize(
    ("evening", "shown"),
    [
        (datetime(2026, 10, 24, 22, tzinfo=COPENHAGEN), "05:00"),  # clocks go back at 03:00
        (datetime(2026, 3, 28, 22, tzinfo=COPENHAGEN), "07:00"),  # clocks go forward at 02:00
        (datetime(2026, 11, 21, 22, tzinfo=COPENHAGEN), "06:00"),
        (datetime(2026, 11, 21, 22), "06:00"),  # a naive origin: plain arithmetic
    ],
)
def test_eight_hours_into_the_night_on_the_wall_clock(evening: datetime, shown: str) -> None:
    eight_hours = 8 * 3600
    assert clock(evening, eight_hours) == shown
    assert at(evening, eight_hours) == f"{shown}:00", "the checker reads the same clock"
