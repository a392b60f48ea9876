"""One rule for when a container was emptied, in Python (alert, forecast, planner) and in SQL
(the open-data `dateLastEmptying`): the same answer for the same readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from fill_seed import seed
from fix_auth import SignIn

from tilsyn.platform.alerts.rules_containers import ContainerLimits, ContainerRules
from tilsyn.platform.api.app import create_app
from tilsyn.platform.containers.emptying import last_emptied, since_last_emptying

AT = datetime(2026, 3, 2, 8, tzinfo=UTC)

# fills hour by hour -> the index of the reading after the latest emptying (None: none seen)
SERIES = {
    "filling": ([10, 20, 30, 40], None),
    "emptied when full": ([70, 80, 90, 5, 10], 3),
    "emptied at 25 %": ([15, 20, 25, 0, 2, 4], 3),
    "a bad echo at 0 %": ([50, 51, 52, 0, 54, 55], None),
    "a bad echo, then a real emptying": ([50, 0, 52, 60, 3, 5], 4),
    "jitter of a few points": ([40, 37, 41, 38, 42], None),
    "small bins stay small": ([8, 12, 9, 14], None),
    "fell just now: counted until the next reading says otherwise": ([60, 61, 2], 2),
    "emptied, then filling fast": ([85, 5, 20, 45, 65], 1),
}


def _readings(fills: list[int]) -> list[tuple[datetime, float]]:
    return [(AT + timedelta(hours=hour), float(fill)) for hour, fill in enumerate(fills)]


@pytest.mark.parametrize("name", SERIES)
def test_the_readings_since_the_last_emptying(name: str) -> None:
    fills, after = SERIES[name]
    since = since_last_emptying(_readings(fills))
    assert since[0][0] == AT + timedelta(hours=after or 0)


def test_a_bad_echo_neither_cuts_the_history_nor_bends_the_rate() -> None:
    since = since_last_emptying(_readings([50, 51, 52, 0, 54, 55]))
    assert [fill for _, fill in since] == [50, 51, 52, 54, 55]


@pytest.mark.integration
def test_sql_and_python_find_the_same_emptyings(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for name, (fills, _) in SERIES.items():
            for time, fill in _readings(fills):
                conn.execute(
                    "INSERT INTO container_readings (time, container_id, dev_eui, fill_percent)"
                    " VALUES (%s, %s, '0000000000000001', %s)",
                    (time, name, fill),
                )
        found = last_emptied(conn, since=AT - timedelta(days=1))
    expected = {
        name: AT + timedelta(hours=after)
        for name, (_, after) in SERIES.items()
        if after is not None
    }
    assert found == expected


def test_a_bad_echo_raises_no_overflow_alert() -> None:
    """Filling at 1 %/h at 54 %: one reading of 0 % used to start a new history, and the next
    one (51 %) looked like 51 points in an hour: "full within 2 h"."""
    rules = ContainerRules()
    signals = []
    for time, fill in _readings([48, 49, 50, 51, 52, 53, 0, 54, 55]):
        row = (time, "F1", "24e1247100000001", 1000, fill, 90, False, None, 1)
        signals += rules.evaluate(row, ContainerLimits())
    assert not [s for s in signals if s.rule == "overflow_predicted" and s.active]


@pytest.mark.integration
def test_hours_until_full_count_from_now_for_a_sensor_gone_quiet(
    database_url: str, sign_in: SignIn
) -> None:
    """The last reading 20 h ago, at 60 % rising 1 %/h: full 40 h after it, 20 h from now
    (the screen said "in 40 h")."""
    quiet_since = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=20)
    with psycopg.connect(database_url) as conn:
        seed(conn, quiet_since, [("QUIET", 60, 1.0)])
    with TestClient(create_app(database_url)) as client:
        answer = client.get("/api/containers/QUIET/history", headers=sign_in("operator"))
    forecast = answer.json()["forecast"]
    full_by = datetime.fromisoformat(forecast["full_by"])
    assert full_by == pytest.approx(quiet_since + timedelta(hours=40), abs=timedelta(minutes=1))
    from_now = (quiet_since + timedelta(hours=40) - datetime.now(UTC)).total_seconds() / 3600
    assert 19 < from_now <= 20, "about 20 h from now (the series ends on a whole hour)"
    assert forecast["hours_until_full"] == pytest.approx(from_now, abs=0.05)
