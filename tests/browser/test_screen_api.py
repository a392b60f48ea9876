"""The two API routes written for the screens: hygiene compliance and dispensers, and a
container's fill history with its forecast. Checked over HTTP, without a browser."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

sys.path.insert(0, str(Path(__file__).parent))

from seed import seed_containers, seed_hygiene

from tilsyn.platform.api.app import create_app
from tilsyn.platform.api.routes import history, hygiene
from tilsyn.platform.registry.models import WardIn
from tilsyn.platform.registry.store import register_ward

pytestmark = pytest.mark.integration


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        seed_hygiene(conn, days=14)
        seed_containers(conn, 1)
    app = create_app(database_url)
    app.include_router(hygiene.router)
    app.include_router(history.router)
    app.router.routes.sort(key=lambda route: getattr(route, "name", "") == "web")
    with TestClient(app) as test_client:
        yield test_client


def _readings(database_url: str, container_id: str, fills: list[float]) -> None:
    now = datetime.now(UTC)
    rows = [
        (now - timedelta(hours=len(fills) - 1 - i), container_id, "00a8404100000000", fill)
        for i, fill in enumerate(fills)
    ]
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM container_readings WHERE container_id = %s", (container_id,))
        conn.cursor().executemany(
            "INSERT INTO container_readings (time, container_id, dev_eui, fill_percent)"
            " VALUES (%s, %s, %s, %s)",
            rows,
        )


def test_only_infection_control_reads_hygiene(client: TestClient, sign_in: SignIn) -> None:
    for role in ("operator", "home_care_nurse", "night_nurse", "admin"):
        response = client.get("/api/hygiene/compliance", headers=sign_in(role))
        assert response.status_code == 403, role
    assert client.get("/api/hygiene/dispensers", headers=sign_in("operator")).status_code == 403


def test_weeks_add_up_the_days_per_ward_and_zone(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    lead = sign_in("infection_control")
    days = client.get("/api/hygiene/compliance?period=day&days=14", headers=lead).json()
    weeks = client.get("/api/hygiene/compliance?period=week&days=14", headers=lead).json()
    assert len(days) == 2 * 3 * 14
    assert {r["period"][4:6] for r in weeks} == {"-W"}
    for key in ("opportunities", "met"):
        assert sum(r[key] for r in days) == sum(r[key] for r in weeks)
    with psycopg.connect(database_url) as conn:
        (stored,) = conn.execute(
            "SELECT sum(opportunities) FROM hygiene_compliance_counts"
        ).fetchone()  # type: ignore[misc]
    assert sum(r["opportunities"] for r in days) == stored
    first = days[0]
    assert first["rate"] == pytest.approx(first["met"] / first["opportunities"])
    assert sorted({round(r["target"], 3) for r in days}) == [0.7, 0.8]


def test_dispensers_flag_refill_battery_and_silence(client: TestClient, sign_in: SignIn) -> None:
    found = client.get("/api/hygiene/dispensers", headers=sign_in("infection_control")).json()
    assert len(found) == 8
    flags = [(d["offline"], d["needs_refill"], d["needs_battery"]) for d in found]
    assert flags[:6] == [
        (True, False, False),
        (True, False, False),
        (False, True, False),
        (False, True, False),
        (False, False, True),
        (False, False, True),
    ]
    assert not any(any(flag) for flag in flags[6:])
    assert [d["battery_percent"] for d in found[4:6]] == [6, 6]


def test_history_and_forecast_of_a_filling_container(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    _readings(database_url, "C00000", [80.0, 85.0, 10.0, 20.0, 30.0, 40.0, 50.0])
    operator = sign_in("operator")
    body = client.get("/api/containers/C00000/history?hours=72", headers=operator).json()
    forecast = body["forecast"]
    assert forecast["based_on_readings"] == 5, "readings before the emptying are left out"
    # 10 points an hour from 50 %, counted from now (the last reading was a moment ago).
    assert forecast["hours_until_full"] == pytest.approx(5.0, abs=0.01)
    assert body["hourly"], "the hourly rollup is returned"
    assert (
        client.get("/api/containers/C00000/history", headers=sign_in("night_nurse")).status_code
        == 403
    )
    assert client.get("/api/containers/NOPE/history", headers=operator).status_code == 404


def test_no_forecast_for_a_container_that_is_not_filling(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    _readings(database_url, "C00000", [40.0, 40.0, 39.0, 40.0])
    body = client.get("/api/containers/C00000/history", headers=sign_in("operator")).json()
    assert body["forecast"]["full_by"] is None


def test_the_week_view_shows_only_whole_weeks(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """Every day of 40 has 10 opportunities on one ward: 28 days by week used to start
    mid-week, showing its first week with fewer, as if the ward had been quiet."""
    oslo = ZoneInfo("Europe/Oslo")
    today = datetime.now(oslo).date()
    with psycopg.connect(database_url) as conn:
        register_ward(conn, WardIn(ward_id="W-WEEKS", name="Weeks", compliance_target=0.8))
        conn.cursor().executemany(
            "INSERT INTO hygiene_compliance_counts (time, ward_id, zone_type, day, role,"
            " opportunities, met) VALUES (%s, 'W-WEEKS', 'patient_zone', %s, 'nurse', 10, 9)",
            [
                (datetime.combine(day, datetime.min.time(), oslo), day)
                for day in (today - timedelta(days=back) for back in range(40))
            ],
        )
    weeks = client.get(
        "/api/hygiene/compliance?period=week&days=28", headers=sign_in("infection_control")
    ).json()
    this_week = f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}"
    past = [
        r["opportunities"] for r in weeks if r["ward_id"] == "W-WEEKS" and r["period"] != this_week
    ]
    assert past and set(past) == {70}, past
