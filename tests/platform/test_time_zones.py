"""Times read from the database are UTC whatever the server's TimeZone, so lengths of time
across a daylight-saving change come out right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from night_seed import nurse

from tilsyn.platform.planning import night_store as store
from tilsyn.platform.planning.night_problem import seconds_into

pytestmark = pytest.mark.integration
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# The night the clocks go back: 22:00 summer time to 07:00 winter time is ten hours.
EVENING = datetime(2026, 10, 24, 22, tzinfo=COPENHAGEN)
MORNING = datetime(2026, 10, 25, 7, tzinfo=COPENHAGEN)


@pytest.mark.parametrize("binary", [False, True])
def test_a_server_in_local_time_still_gives_utc(database_url: str, binary: bool) -> None:
    with (
        psycopg.connect(database_url, options="-c TimeZone=Europe/Copenhagen") as conn,
        conn.cursor(binary=binary) as cursor,
    ):
        evening, morning = cursor.execute(
            "SELECT %s::timestamptz, %s::timestamptz", (EVENING, MORNING)
        ).fetchone() or (None, None)
    assert evening is not None and morning is not None
    assert evening.tzinfo is UTC and morning.tzinfo is UTC
    assert morning - evening == timedelta(hours=10)


def test_a_night_across_the_autumn_change_lasts_ten_hours(database_url: str) -> None:
    with psycopg.connect(database_url, options="-c TimeZone=Europe/Copenhagen") as conn:
        shift_id = store.create_shift(conn, "night", EVENING, MORNING, [nurse("ane")])
        shift = store.get_shift(conn, shift_id)
    assert seconds_into(shift, shift.ends_at) == 10 * 3600
