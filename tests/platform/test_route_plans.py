"""The next collection day's routes for the operator: forecasts from real readings, the
containers worth a visit (over a weekend without trucks too), truck routes that pass the
independent checker, one kind of waste per truck, GeoJSON for the map, roles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from fastapi.testclient import TestClient
from fill_seed import CONTAINERS, KIND_OF, fleet_settings, seed
from fix_auth import SignIn
from registry_seed import sample_container

from tilsyn.platform.api.app import create_app
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.planning.collection import (
    collection_geojson,
    current_collection_plans,
    hours_to_hold,
    latest_collection_plan,
    plan_next_day,
    save_collection_plan,
)
from tilsyn.routing.checks import check_collection_plan
from tilsyn.routing.collection_fleet import load_collection_fleet
from tilsyn.routing.settings import RoutingSettings

pytestmark = pytest.mark.integration
SETTINGS = Settings(collection_plan_seconds=1.0)
HERNING = load_collection_fleet()
DEPOT_AT = HERNING["glass"].fleet.trucks[0].depot
DEPOT = [DEPOT_AT.lon, DEPOT_AT.lat]
COPENHAGEN = ZoneInfo(SETTINGS.planning_timezone)
THURSDAY_AFTERNOON = datetime(2026, 12, 3, 14, tzinfo=COPENHAGEN)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with psycopg.connect(database_url) as conn:
        seed(conn)
    with TestClient(create_app(database_url, settings=SETTINGS)) as test_client:
        yield test_client


def test_plan_now_routes_the_full_containers_and_the_plan_is_kept(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    operator = sign_in("operator")
    assert client.get("/api/routes/plan", headers=operator).status_code == 404
    answer = client.post("/api/routes/plan", headers=operator)
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["type"] == "FeatureCollection" and plan["feasible"]
    chosen = {c["container_id"]: c for c in plan["containers"]}
    assert {"FULL1", "FULL2", "FULL3"} <= {c for c, v in chosen.items() if v["mandatory"]}
    assert not {"EMPTY1", "EMPTY2"} & set(chosen)
    on_routes = [c for f in plan["features"] for c in f["properties"]["containers"]]
    assert sorted(on_routes) == sorted(c for c, v in chosen.items() if v["planned"])
    for feature in plan["features"]:
        line = feature["geometry"]
        assert line["type"] == "LineString"
        assert line["coordinates"][0] == DEPOT == line["coordinates"][-1]
        props = feature["properties"]
        assert props["stops"] == len(props["containers"]) > 0 and props["km"] > 0
        assert props["load_litres"] == sum(chosen[c]["volume_litres"] for c in props["containers"])
        assert props["tips"] >= 1, "every route ends at the tip"
    assert client.get("/api/routes/plan", headers=operator).json() == plan
    with psycopg.connect(database_url) as conn:
        assert conn.execute(
            "SELECT count(*), bool_and(feasible) FROM collection_plans"
        ).fetchone() == (1, True)


def test_a_container_smaller_than_a_litre_is_refused_and_cannot_block_the_plan(
    client: TestClient, sign_in: SignIn, database_url: str
) -> None:
    """The registry refuses it; one already stored (the database allows any size above 0)
    is planned like the rest instead of failing the whole town's plan."""
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        sample_container("TINY", "a840410001ffffff", capacity_litres=0.5)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE containers SET capacity_litres = 0.4 WHERE container_id = 'FULL1'")
    answer = client.post("/api/routes/plan", headers=sign_in("operator"))
    assert answer.status_code == 200, answer.text
    chosen = {c["container_id"]: c for c in answer.json()["containers"]}
    assert chosen["FULL1"]["planned"] and chosen["FULL1"]["volume_litres"] == 1


@pytest.mark.parametrize("capacity", ["Infinity", "1e12"])
def test_a_container_stored_with_a_capacity_no_truck_lifts_is_left_out_with_the_reason(
    client: TestClient, sign_in: SignIn, database_url: str, capacity: str
) -> None:
    """The registry refuses one now; one stored before made "Plan now" answer 500 for the
    whole town."""
    with pytest.raises(ValueError, match="less than or equal to 100000"):
        sample_container("HUGE", "a840410001fffffe", capacity_litres=1e12)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE containers SET capacity_litres = %s::real WHERE container_id = 'FULL1'",
            (capacity,),
        )
    answer = client.post("/api/routes/plan", headers=sign_in("operator"))
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    (left,) = [c for c in plan["left_out"] if c["container_id"] == "FULL1"]
    assert "stored capacity" in left["reason"] and "correct it in the registry" in left["reason"]
    assert "1 container cannot be planned until the registry is corrected" in plan["problems"]
    chosen = {c["container_id"]: c for c in plan["containers"]}
    assert "FULL1" not in chosen and chosen["FULL2"]["planned"] and chosen["FULL3"]["planned"]


def test_of_two_plans_made_at_once_the_one_from_newer_data_stays_in_force(
    database_url: str,
) -> None:
    """Two operators press "Plan now" together; the first one's solve finishes last."""
    with psycopg.connect(database_url) as conn:
        seed(conn)
        started = datetime.now(UTC)
        older = collection_geojson(plan_next_day(conn, SETTINGS, started), started)
        later = started + timedelta(seconds=1)
        newer = collection_geojson(plan_next_day(conn, SETTINGS, later), later)
        save_collection_plan(conn, "operator-b", newer)
        save_collection_plan(conn, "operator-a", older)
        assert latest_collection_plan(conn) == newer


def _day_plan(starts: datetime, ends: datetime, made: datetime, km: float) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "features": [],
        "day_starts": starts.isoformat(),
        "day_ends": ends.isoformat(),
        "generated_at": made.isoformat(),
        "feasible": True,
        "problems": [],
        "km": km,
    }


def test_todays_plan_stays_in_force_beside_the_next_days(database_url: str) -> None:
    """While today's trucks are out, planning the next day does not take today's plan away:
    each day not over has its latest plan, in day order; a day that is over has none."""
    now = datetime.now(UTC)
    yesterday = _day_plan(now - timedelta(hours=30), now - timedelta(hours=6), now, 1.0)
    today_first = _day_plan(now - timedelta(hours=3), now + timedelta(hours=6), now, 2.0)
    today_again = {
        **today_first,
        "km": 2.5,
        "generated_at": (now + timedelta(seconds=1)).isoformat(),
    }
    next_day = _day_plan(
        now + timedelta(hours=18), now + timedelta(hours=30), now + timedelta(seconds=2), 3.0
    )
    with psycopg.connect(database_url) as conn:
        for plan in (yesterday, today_first, next_day, today_again):
            save_collection_plan(conn, "planner", plan)
        assert [p["km"] for p in current_collection_plans(conn, now)] == [2.5, 3.0]
        later = now + timedelta(hours=40)  # every day over: the latest plan, to say so
        assert [p["km"] for p in current_collection_plans(conn, later)] == [3.0]


def test_each_kind_passes_the_independent_checker_with_its_own_trucks(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        seed(conn)
        next_day = plan_next_day(conn, SETTINGS, datetime.now(UTC))
    assert next_day.origin.hour == 0 and next_day.origin > datetime.now(UTC), "a day to come"
    assert [k.kind for k in next_day.kinds] == ["glass", "paper"]
    seen = []
    for kind_day in next_day.kinds:
        request, plan = kind_day.day.request, kind_day.day.plan
        places = [*(t.depot for t in request.trucks), *(d.location for d in request.disposal_sites)]
        matrix = RoutingSettings().travel().matrix(places + [s.location for s in request.stops])
        assert check_collection_plan(request, plan, matrix) == []
        assert {t.id for t in request.trucks} == {
            f"{kind_day.kind}-1",
            f"{kind_day.kind}-2",
        }
        assert {s.id for s in request.stops} <= KIND_OF.keys()
        assert {KIND_OF[s.id] for s in request.stops} <= {kind_day.kind}
        seen += [f.container_id for f in kind_day.forecasts]
    assert sorted(seen) == sorted(KIND_OF)


def test_no_truck_carries_two_kinds_of_waste(client: TestClient, sign_in: SignIn) -> None:
    plan = client.post("/api/routes/plan", headers=sign_in("operator")).json()
    kinds = {f["properties"]["waste_kind"] for f in plan["features"]}
    assert kinds == {"glass", "paper"}, "full containers of both kinds are due"
    for feature in plan["features"]:
        props = feature["properties"]
        assert {KIND_OF[c] for c in props["containers"]} == {props["waste_kind"]}
        assert props["vehicle"].startswith(props["waste_kind"].capitalize() + " truck")
    for container in plan["containers"]:
        assert container["waste_kind"] == KIND_OF[container["container_id"]]


def _planned(database_url: str, now: datetime, settings: Settings = SETTINGS) -> dict[str, bool]:
    """Plan from `now` with one residual bin at 40 % rising 0.7 % an hour: {bin: mandatory}."""
    with psycopg.connect(database_url) as conn:
        seed(conn, now, [("WEEKEND", 40, 0.7)])
        next_day = plan_next_day(conn, settings, now)
    (kind_day,) = next_day.kinds
    return {s.id: s.mandatory for s in kind_day.day.request.stops}


def test_a_thursday_plan_empties_what_would_overflow_before_monday(database_url: str) -> None:
    # Friday 00:00 at 47 %: 74 % by the end of Friday's shift, full on Sunday.
    assert _planned(database_url, THURSDAY_AFTERNOON) == {"WEEKEND": True}


def test_a_monday_plan_leaves_what_holds_until_wednesday(database_url: str) -> None:
    assert _planned(database_url, THURSDAY_AFTERNOON - timedelta(days=3)) == {}


def test_a_town_with_saturday_trucks_leaves_it_for_saturday(database_url: str) -> None:
    every_day_but_sunday = Settings(
        collection_plan_seconds=1.0, collection_weekdays=tuple(range(6))
    )
    assert _planned(database_url, THURSDAY_AFTERNOON, every_day_but_sunday) == {}


def test_a_friday_plan_is_for_monday_and_says_how_long_it_must_hold(
    database_url: str,
) -> None:
    with psycopg.connect(database_url) as conn:
        seed(conn, THURSDAY_AFTERNOON + timedelta(days=1))
        next_day = plan_next_day(conn, SETTINGS, THURSDAY_AFTERNOON + timedelta(days=1))
    assert next_day.origin == datetime(2026, 12, 7, tzinfo=COPENHAGEN), "Monday, 00:00"
    geojson = collection_geojson(next_day, THURSDAY_AFTERNOON)
    assert geojson["day_starts"] == "2026-12-07T00:00:00+01:00"
    assert geojson["holds_until"] == "2026-12-08T15:00:00+01:00", "Tuesday's shift end"


@pytest.mark.parametrize("role", ["night_nurse", "home_care_nurse", "infection_control", "admin"])
def test_only_the_operator_plans_routes(client: TestClient, sign_in: SignIn, role: str) -> None:
    headers = sign_in(role)
    assert client.get("/api/routes/plan", headers=headers).status_code == 403
    assert client.post("/api/routes/plan", headers=headers).status_code == 403


def test_the_plan_holds_no_patient_data(client: TestClient, sign_in: SignIn) -> None:
    plan = client.post("/api/routes/plan", headers=sign_in("operator")).text
    assert "patient" not in plan.lower()


GLASS_ONLY_FLEET = """
depot = { lat = 56.1180, lon = 8.9540 }
shift = { start = "06:00", end = "15:00" }
[disposal_sites.glass-plant]
lat = 56.1525
lon = 8.9350
service_minutes = 15
[kinds.glass]
trucks = 1
truck_litres = 30_000
truck_kg = 10_000
disposal_site = "glass-plant"
density_kg_per_l = 0.3
service_minutes = 4
"""


def test_each_kind_tips_at_its_own_site_with_its_own_trucks(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        seed(conn, containers=[*CONTAINERS, ("BIN", 95, 2.0)])  # BIN holds residual waste
        next_day = plan_next_day(conn, SETTINGS, datetime.now(UTC))
    assert [k.kind for k in next_day.kinds] == ["glass", "paper", "residual"]
    recycling, transfer = "recycling-centre", "transfer-station"
    tips = {"glass": recycling, "paper": recycling, "residual": transfer}
    for kind_day in next_day.kinds:
        kind, request = kind_day.kind, kind_day.day.request
        service = HERNING[kind]
        assert [d.id for d in request.disposal_sites] == [tips[kind]]
        assert request.trucks == service.fleet.trucks
        assert {(s.service, s.quiet) for s in request.stops} == {(service.service_s, service.quiet)}
        for stop in request.stops:
            assert stop.weight_kg == round(stop.volume_l * service.density_kg_per_l)
        assert {v.location_id for r in kind_day.day.plan.routes for v in r.visits} >= {tips[kind]}
    geojson = collection_geojson(next_day, datetime.now(UTC))
    transfer = HERNING["residual"].fleet.disposal_sites[0].location
    (residual,) = [f for f in geojson["features"] if f["properties"]["waste_kind"] == "residual"]
    assert [transfer.lon, transfer.lat] in residual["geometry"]["coordinates"]


def test_containers_of_a_kind_without_trucks_are_left_out_with_the_reason(
    database_url: str, tmp_path: Path
) -> None:
    settings = fleet_settings(tmp_path, GLASS_ONLY_FLEET)
    with psycopg.connect(database_url) as conn:
        seed(conn)
        next_day = plan_next_day(conn, settings, datetime.now(UTC))
    assert [k.kind for k in next_day.kinds] == ["glass"]
    assert next_day.kinds[0].day.request.disposal_sites[0].id == "glass-plant"
    geojson = collection_geojson(next_day, datetime.now(UTC))
    left = {c["container_id"]: c for c in geojson["left_out"] if c["waste_kind"] == "paper"}
    assert set(left) == {"FULL1", "FULL3"}, "the due paper containers, not the empty one"
    assert all("no trucks for paper waste" in c["reason"] for c in left.values())
    assert any(p.startswith("paper: 2 containers due") for p in geojson["problems"])
    assert not geojson["feasible"], "mandatory containers cannot be emptied"


def test_a_fleet_file_that_is_not_a_fleet_is_refused_with_the_reason(
    database_url: str, sign_in: SignIn, tmp_path: Path
) -> None:
    settings = fleet_settings(tmp_path, GLASS_ONLY_FLEET.replace('"glass-plant"', '"dump"'))
    with psycopg.connect(database_url) as conn:
        seed(conn)
    with TestClient(create_app(database_url, settings=settings)) as test_client:
        answer = test_client.post("/api/routes/plan", headers=sign_in("operator"))
    assert answer.status_code == 503
    assert "kinds.glass: disposal site 'dump' is not among disposal_sites" in answer.text
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM collection_plans").fetchone() == (0,)


def test_a_container_that_reads_full_without_rising_is_emptied(database_url: str) -> None:
    """Near the top the sensor no longer sees the waste rise: 97 % for the last 12 hours has
    no rate, and was left out of the plan as if it would never overflow."""
    with psycopg.connect(database_url) as conn:
        seed(conn, containers=[("STUCK", 97, 0.0), ("EMPTY1", 5, 0.1)])
        next_day = plan_next_day(conn, SETTINGS, datetime.now(UTC))
    geojson = collection_geojson(next_day, datetime.now(UTC))
    chosen = {c["container_id"]: c for c in geojson["containers"]}
    assert chosen["STUCK"]["mandatory"] and chosen["STUCK"]["planned"]
    assert "EMPTY1" not in chosen


@pytest.mark.parametrize(
    ("friday", "hours"),
    [
        (datetime(2026, 10, 16, tzinfo=COPENHAGEN), 3 * 24 + 15),
        (datetime(2026, 10, 23, tzinfo=COPENHAGEN), 3 * 24 + 15 + 1),  # clocks go back Sunday
        (datetime(2026, 3, 27, tzinfo=COPENHAGEN), 3 * 24 + 15 - 1),  # clocks go forward
    ],
)
def test_friday_plans_hold_until_monday_afternoon_on_the_real_clock(
    friday: datetime, hours: int
) -> None:
    assert hours_to_hold(friday, range(5), 15.0) == hours


def test_a_container_full_before_monday_afternoon_across_the_autumn_change_is_emptied(
    database_url: str,
) -> None:
    """Friday 00:00 to Monday 15:00 is 88 hours that weekend; counted as 87, a bin that fills
    at 14:24 on Monday was left for Monday's truck."""
    thursday = datetime(2026, 10, 22, 14, tzinfo=COPENHAGEN)
    with psycopg.connect(database_url) as conn:
        seed(conn, thursday.astimezone(UTC), [("R1", 51.3, 0.5)])  # full 87.4 h after Friday
        next_day = plan_next_day(conn, SETTINGS, thursday)
    geojson = collection_geojson(next_day, thursday)
    assert datetime.fromisoformat(geojson["holds_until"]) == datetime(
        2026, 10, 26, 15, tzinfo=COPENHAGEN
    )
    assert datetime.fromisoformat(geojson["day_ends"]) == datetime(2026, 10, 24, tzinfo=COPENHAGEN)
    (container,) = geojson["containers"]
    assert container["container_id"] == "R1" and container["mandatory"]


def test_the_day_a_clock_change_falls_on_ends_at_the_next_local_midnight(
    database_url: str,
) -> None:
    """Sunday 25 October 2026 has 25 hours; a Saturday plan is for it (trucks every day)."""
    saturday = datetime(2026, 10, 24, 14, tzinfo=COPENHAGEN)
    every_day = Settings(collection_plan_seconds=1.0, collection_weekdays=tuple(range(7)))
    with psycopg.connect(database_url) as conn:
        seed(conn, saturday.astimezone(UTC))
        geojson = collection_geojson(plan_next_day(conn, every_day, saturday), saturday)
    starts = datetime.fromisoformat(geojson["day_starts"])
    ends = datetime.fromisoformat(geojson["day_ends"])
    assert ends - starts == timedelta(hours=25)


def _readings(
    conn: psycopg.Connection, container_id: str, fills: list[tuple[datetime, float]]
) -> None:
    """A glass container with the given fill readings (none: it never reported)."""
    dev_eui = f"{0xA840410002000000 + len(container_id):016x}"
    register_container(conn, sample_container(container_id, dev_eui, waste_kind="glass"))
    for at, fill in fills:
        conn.execute(
            "INSERT INTO container_readings (time, container_id, dev_eui, fill_percent)"
            " VALUES (%s, %s, %s, %s)",
            (at, container_id, dev_eui, fill),
        )
    if fills:
        conn.execute(
            "INSERT INTO container_latest (container_id, time, fill_percent, fill_at)"
            " VALUES (%s, %s, %s, %s)",
            (container_id, fills[-1][0], fills[-1][1], fills[-1][0]),
        )


def test_a_container_whose_sensor_went_silent_is_planned_on_an_assumed_fill(
    database_url: str,
) -> None:
    """At 70 % and rising 1 % an hour when its sensor went silent 50 hours ago: full by now.
    It was taken as not filling at all, left out of every plan and listed nowhere."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    silent_since = now - timedelta(hours=50)
    with psycopg.connect(database_url) as conn:
        seed(conn, now)
        fills = [(silent_since - timedelta(hours=h), 70.0 - h) for h in range(12, -1, -1)]
        _readings(conn, "QUIET", fills)
        geojson = collection_geojson(plan_next_day(conn, SETTINGS, now), now)
    chosen = {c["container_id"]: c for c in geojson["containers"]}
    assert chosen["QUIET"]["mandatory"]
    assert geojson["assumed"] == [
        {"container_id": "QUIET", "waste_kind": "glass", "silent_since": silent_since.isoformat()}
    ]


def test_a_full_container_whose_sensor_sees_no_rise_is_planned(database_url: str) -> None:
    """93 % for twelve hours: near the top an ultrasonic sensor sees the waste rise less. Its
    full alert was up, yet the plan took it as not filling and left it out."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with psycopg.connect(database_url) as conn:
        seed(conn, now)
        _readings(conn, "STUCK", [(now - timedelta(hours=h), 93.0) for h in range(12, -1, -1)])
        geojson = collection_geojson(plan_next_day(conn, SETTINGS, now), now)
    chosen = {c["container_id"]: c for c in geojson["containers"]}
    assert chosen["STUCK"]["mandatory"]
    assert geojson["assumed"] == []


def test_a_container_that_never_reported_is_listed_not_forgotten(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        seed(conn)
        _readings(conn, "NEW", [])
        now = datetime.now(UTC)
        geojson = collection_geojson(plan_next_day(conn, SETTINGS, now), now)
    (left,) = [c for c in geojson["left_out"] if c["container_id"] == "NEW"]
    assert left["reason"].startswith("no fill reading yet")
    assert not any("registry" in problem for problem in geojson["problems"])
