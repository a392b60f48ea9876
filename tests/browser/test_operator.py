"""The operator's screen: the map of containers, live alerts, container detail, routes."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

import psycopg
import pytest
from conftest import Site, sign_in, wait_until
from playwright.sync_api import Page, Route, expect

from tilsyn.platform.api.routes import site_config
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import CONTAINER_READINGS
from tilsyn.platform.planning.collection import save_collection_plan

pytestmark = pytest.mark.browser
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def test_the_map_shows_every_container_in_clusters(site: Site, page: Page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, site.url, "operator")
    expect(page).to_have_url(site.url + "/operator.html")
    expect(page.locator("#summary")).to_contain_text("30 containers")
    assert page.evaluate("window.operatorMap.markers.size") == 30
    expect(page.locator(".cluster").first).to_be_visible()
    page.wait_for_function("window.operatorMap.visibleCount() === 30")
    # No tile URL configured: the bundled outlines on a plain background, nothing from outside.
    expect(page.locator("#map.plain")).to_be_attached()
    assert page.evaluate("window.operatorMap.outlines.getLayers().length") == 6
    assert all(url.startswith(site.url) for url in requested), "no CDN, no tile server"


def test_an_alert_arrives_without_a_reload(site: Site, page: Page) -> None:
    sign_in(page, site.url, "operator")
    expect(page.locator("#connection")).to_have_text("Live")
    page.evaluate("window.notReloaded = true")
    row = (datetime.now(UTC), "C00003", "00a8404100000003", 1, 75.0, 80, False, 82.0, 1)
    site.engine.observe(
        [Accepted(f"c{time.time_ns()}", ((CONTAINER_READINGS, (row,)),))], time.time()
    )
    alert = page.locator(".alert", has_text="C00003")
    expect(alert).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    alert.get_by_role("button", name="Acknowledge").click()
    expect(alert.locator(".state")).to_have_text(re.compile(r"^acknowledged by \S+"))


def test_container_detail_shows_history_and_forecast(site: Site, page: Page) -> None:
    sign_in(page, site.url, "operator")
    expect(page.locator("#summary")).to_contain_text("30 containers")
    page.evaluate("window.operatorMap.onSelect('C00002')")
    expect(page.locator("#detail-title")).to_have_text("Container C00002")
    expect(page.locator("#forecast")).to_contain_text("Full by")
    expect(page.locator("#history-chart canvas")).to_be_attached()
    # The seeded readings came in no uplink ingest stored: no frame numbers, nothing missed.
    expect(page.locator("#links")).to_have_text("No sensor missed 5 % of its uplinks or more.")


def test_plan_now_draws_routes_with_km_and_load(site: Site, page: Page) -> None:
    sign_in(page, site.url, "operator")
    expect(page.locator("#routes-status")).to_have_text("No route plan yet.")
    page.get_by_role("button", name="Plan now").click()
    expect(page.locator("#routes-status")).to_contain_text("trucks")
    with psycopg.connect(site.database_url) as conn:
        ((plan,),) = conn.execute("SELECT geojson FROM collection_plans").fetchall()
    features = plan["features"]
    assert features, "the seeded town has full containers to collect"
    rows = page.locator("#routes tbody tr")
    expect(rows).to_have_count(len(features))
    first = features[0]["properties"]
    expect(rows.first.locator("th")).to_have_text(first["vehicle"])
    expect(rows.first.locator("td").nth(0)).to_have_text(f"{first['km']:.1f}")
    collected = rows.first.locator("td").nth(1).inner_text()
    assert collected.endswith(" m³"), collected
    m3 = float(collected.removesuffix(" m³"))
    # Shown to one decimal: at most half a tenth off (12.25 m³ shows as 12.3).
    assert m3 == pytest.approx(first["load_litres"] / 1000, abs=0.05 + 1e-9)
    expect(rows.first.locator("td").nth(2)).to_have_text(str(first["stops"]))
    per_kind = Counter(f["properties"]["waste_kind"] for f in features)
    assert len(per_kind) > 1, "the seeded town has full containers of several kinds"
    day = datetime.fromisoformat(plan["day_starts"])
    expect(page.locator("#routes-status")).to_contain_text(f"For {day:%A} {day.day} {day:%B}: ")
    expect(page.locator("#routes-status")).to_contain_text(f"{len(features)} trucks (")
    for kind, trucks in per_kind.items():
        expect(page.locator("#routes-status")).to_contain_text(f"{kind} {trucks}")
    expect(page.locator("path.leaflet-interactive[stroke='#1f5fbf']")).to_have_count(1)


def test_the_plan_says_which_containers_it_cannot_serve_and_why(site: Site, page: Page) -> None:
    # The seeded town has plastic containers and its fleet no plastic trucks.
    sign_in(page, site.url, "operator")
    problems = page.locator("#routes-problems")
    page.get_by_role("button", name="Plan now").click()
    expect(problems).to_contain_text("Cannot serve every container that must be emptied: plastic:")
    expect(problems).to_contain_text("the collection fleet has no trucks for plastic waste")
    expect(problems).to_be_visible()
    with psycopg.connect(site.database_url) as conn:
        ((plan,),) = conn.execute(
            "SELECT geojson FROM collection_plans ORDER BY plan_id DESC LIMIT 1"
        ).fetchall()
    left_out = plan["left_out"]
    assert plan["feasible"] is False and left_out
    assert {item["waste_kind"] for item in left_out} == {"plastic"}
    block = page.locator("#left-out")
    expect(block.locator("summary")).to_have_text(f"{len(left_out)} containers left out")
    block.locator("summary").click()
    expect(block.locator("li")).to_have_count(len(left_out))
    first = left_out[0]["container_id"]
    expect(block.locator("li").first).to_contain_text("no trucks for plastic waste")
    block.get_by_role("button", name=first).click()
    expect(page.locator("#detail")).to_contain_text(f"Container {first}")
    expect(page.locator("#detail")).to_contain_text("plastic")


ONE_TRUCK = {
    "type": "Feature",
    "geometry": {"type": "LineString", "coordinates": [[8.954, 56.118], [8.97, 56.14]]},
    "properties": {
        "vehicle": "Glass truck 1",
        "vehicle_id": "glass-1",
        "waste_kind": "glass",
        "km": 4.2,
        "load_litres": 2500,
        "stops": 1,
        "tips": 1,
        "containers": ["C00001"],
    },
}


def _stored_plan(
    database_url: str,
    day_starts: datetime,
    generated_at: datetime,
    *features: dict[str, object],
    assumed: list[dict[str, str]] | None = None,
    day_ends: datetime | None = None,
) -> None:
    """A plan for `day_starts` with these routes, stored as the daily planner stores one."""
    geojson = {
        "type": "FeatureCollection",
        "features": list(features),
        "day_starts": day_starts.isoformat(),
        "day_ends": (day_ends or day_starts + timedelta(days=1)).isoformat(),
        "holds_until": (day_starts + timedelta(days=1)).isoformat(),
        "generated_at": generated_at.isoformat(),
        "feasible": True,
        "problems": [],
        "km": 0.0,
        "containers": [],
        "left_out": [],
        "assumed": assumed or [],
    }
    with psycopg.connect(database_url) as conn:
        save_collection_plan(conn, "planner", geojson)


def test_a_plan_whose_day_is_over_is_marked_as_past(site: Site, page: Page) -> None:
    now = datetime.now(UTC)
    last_week = datetime.combine(now.date() - timedelta(days=7), dt_time(0), COPENHAGEN)
    _stored_plan(site.database_url, last_week, now - timedelta(days=8), ONE_TRUCK)
    sign_in(page, site.url, "operator")
    status = page.locator("#routes-status")
    expect(status).to_contain_text(f"Past plan, for {last_week:%A} {last_week.day} {last_week:%B}")
    expect(status).to_contain_text("Plan now for the next collection day.")
    expect(status).to_have_class(re.compile(r"\bproblem\b"))
    # Last week's routes are neither drawn nor listed: nobody drives them by mistake.
    expect(page.locator("#routes tbody tr")).to_have_count(0)
    expect(page.locator("path.leaflet-interactive[stroke='#1f5fbf']")).to_have_count(0)
    page.get_by_role("button", name="Plan now").click()
    expect(status).to_contain_text("km in all.")
    expect(status).not_to_contain_text("Past plan")
    expect(status).not_to_have_class(re.compile(r"\bproblem\b"))


def test_planning_the_next_day_keeps_todays_routes_a_click_away(site: Site, page: Page) -> None:
    """The trucks are out on today's routes when the operator plans the next collection day:
    that plan is shown, and today's, which the drivers still follow, stays one click away."""
    now = datetime.now(UTC)
    today = now - timedelta(hours=2)
    _stored_plan(site.database_url, today, today, ONE_TRUCK, day_ends=now + timedelta(hours=6))
    page.clock.install()
    sign_in(page, site.url, "operator")
    status, rows = page.locator("#routes-status"), page.locator("#routes tbody tr")
    expect(status).to_contain_text("1 truck (glass 1) · 4.2 km in all.")
    expect(page.locator("#route-days")).to_be_hidden()

    page.get_by_role("button", name="Plan now").click()

    days = page.locator("#route-days")
    expect(days).to_be_visible()
    with psycopg.connect(site.database_url) as conn:
        ((made,),) = conn.execute(
            "SELECT geojson FROM collection_plans ORDER BY plan_id DESC LIMIT 1"
        ).fetchall()
    next_day = datetime.fromisoformat(made["day_starts"])
    expect(status).to_contain_text(f"For {next_day:%A} {next_day.day} {next_day:%B}: ")
    expect(rows).to_have_count(len(made["features"]))
    days.get_by_role("button", name="Today, trucks out").click()
    expect(status).to_contain_text("1 truck (glass 1) · 4.2 km in all.")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("Glass truck 1")
    # The next look at the plans keeps the operator's choice.
    page.clock.fast_forward("05:00")
    expect(days.get_by_role("button", name="Today, trucks out")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(rows).to_have_count(1)


def test_containers_planned_on_an_assumed_fill_are_listed(site: Site, page: Page) -> None:
    now = datetime.now(UTC)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), dt_time(0), COPENHAGEN)
    silent = {"container_id": "C00002", "waste_kind": "glass", "silent_since": "2026-11-20T08:00Z"}
    _stored_plan(site.database_url, tomorrow, now, ONE_TRUCK, assumed=[silent])
    sign_in(page, site.url, "operator")
    block = page.locator("#assumed")
    expect(block.locator("summary")).to_have_text("1 container planned on an assumed fill")
    block.locator("summary").click()
    expect(block.locator("li")).to_contain_text("sensor silent since 20/11/2026")
    block.get_by_role("button", name="C00002").click()
    expect(page.locator("#detail")).to_contain_text("Container C00002")


def test_the_daily_plan_appears_without_a_reload(site: Site, page: Page) -> None:
    page.clock.install()
    sign_in(page, site.url, "operator")
    status = page.locator("#routes-status")
    expect(status).to_have_text("No route plan yet.")
    page.evaluate("window.notReloaded = true")
    now = datetime.now(UTC)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), dt_time(0), COPENHAGEN)
    _stored_plan(site.database_url, tomorrow, now)
    page.clock.fast_forward("05:00")
    expect(status).to_have_text(
        f"For {tomorrow:%A} {tomorrow.day} {tomorrow:%B}: no routes planned."
    )
    assert page.evaluate("window.notReloaded") is True


def _fire_in_c00003(site: Site) -> None:
    row = (datetime.now(UTC), "C00003", "00a8404100000003", 1, 75.0, 80, False, 82.0, 1)
    site.engine.observe(
        [Accepted(f"c{time.time_ns()}", ((CONTAINER_READINGS, (row,)),))], time.time()
    )


def test_alerts_show_even_when_the_unknown_devices_list_fails(site: Site, page: Page) -> None:
    """The alerts used to wait for every other panel: a failing quarantine list hid a fire."""
    _fire_in_c00003(site)
    page.route("**/api/ingest/quarantine*", lambda route: route.fulfill(status=500, body="{}"))
    sign_in(page, site.url, "operator")
    expect(page.locator(".alert", has_text="C00003")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text("Unknown devices not shown")


class failing_first:
    """A route handler: the first `times` requests get 503 (the database restarting), the
    rest go through; `left` says how many failures are still to come."""

    def __init__(self, times: int) -> None:
        self.left = times

    def __call__(self, route: Route) -> None:
        if self.left:
            self.left -= 1
            route.fulfill(status=503, body='{"detail": "database restarting"}')
        else:
            route.continue_()


def test_the_containers_are_read_again_until_it_works_and_the_map_says_so_meanwhile(
    site: Site, page: Page
) -> None:
    """A list that failed as the fill stream opened was never read again: every container that
    changed while the screen was away stayed as it was, under a "Live" badge."""
    page.route(re.compile(r".*/api/containers$"), failing_first(1))
    sign_in(page, site.url, "operator")
    summary = page.locator("#summary")
    expect(summary).to_contain_text("The map may be out of date")
    expect(summary).to_contain_text("30 containers", timeout=20_000)
    expect(summary).not_to_have_class(re.compile(r"\bproblem\b"))


def test_an_older_container_list_does_not_undo_a_newer_stream_batch(site: Site, page: Page) -> None:
    sign_in(page, site.url, "operator")
    expect(page.locator("#summary")).to_contain_text("30 containers")
    state = page.evaluate("window.operatorMap.markers.get('C00001').state")
    newer = {**state, "time": "2999-01-01T00:00:00+00:00", "fill_percent": 97.0}
    older = {**state, "time": "2000-01-01T00:00:00+00:00", "fill_percent": 3.0}
    page.evaluate("(states) => window.operatorApply(states)", [newer])
    page.evaluate("(states) => window.operatorApply(states)", [older])
    assert page.evaluate("window.operatorMap.markers.get('C00001').state.fill_percent") == 97.0


def test_the_open_alerts_are_read_again_until_it_works(site: Site, page: Page) -> None:
    _fire_in_c00003(site)
    fail_twice = failing_first(2)
    page.route(re.compile(r".*/api/alerts$"), fail_twice)
    sign_in(page, site.url, "operator")
    expect(page.locator(".alert", has_text="C00003")).to_be_visible(timeout=20_000)
    assert fail_twice.left == 0


def test_a_failed_or_repeated_acknowledge_is_said_not_thrown(site: Site, page: Page) -> None:
    """A double click sends one request; a refusal is shown on the screen (the page fixture
    fails the test on any uncaught script error)."""
    _fire_in_c00003(site)
    acknowledges: list[str] = []
    page.on(
        "request",
        lambda r: acknowledges.append(r.url) if r.url.endswith("/acknowledge") else None,
    )
    sign_in(page, site.url, "operator")
    alert = page.locator(".alert", has_text="C00003")
    alert.get_by_role("button", name="Acknowledge").dblclick()
    expect(alert.locator(".state")).to_have_text(re.compile(r"^acknowledged by \S+"))
    assert len(acknowledges) == 1
    page.route("**/api/containers/C00003", lambda route: route.fulfill(status=500, body="{}"))
    alert.get_by_role("button", name="C00003").click()
    expect(page.locator("#notice")).to_contain_text("Could not show the container")


def test_a_container_is_found_by_id_from_the_keyboard(site: Site, page: Page) -> None:
    sign_in(page, site.url, "operator")
    expect(page.locator("#summary")).to_contain_text("30 containers")
    find = page.get_by_role("combobox", name="Container")
    find.focus()
    page.keyboard.type("C00002")
    page.keyboard.press("Enter")
    expect(page.locator("#detail-title")).to_have_text("Container C00002")
    find.fill("C99999")
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_contain_text("No container C99999")


def test_an_alert_raised_while_the_list_is_read_stays_on_it(site: Site, page: Page) -> None:
    """The list read when the stream opens can predate an alert the stream then brings: it
    used to wipe that alert off the screen (the read answered here only after the alert)."""
    held: list[tuple[Route, object]] = []

    def hold_the_first_read(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))  # read now, answered later

    page.route(re.compile(r".*/api/alerts$"), hold_the_first_read)
    sign_in(page, site.url, "operator")
    expect(page.locator("#connection")).to_have_text("Live")
    _fire_in_c00003(site)
    alert = page.locator(".alert", has_text="C00003")
    expect(alert).to_be_visible()
    # The handler appends once its own read is answered, which may come after the alert.
    wait_until(page, lambda: bool(held), "the first read of the alert list")
    route, answer = held[0]
    route.fulfill(response=answer)  # type: ignore[arg-type]
    page.wait_for_timeout(500)
    expect(alert.get_by_role("button", name="Acknowledge")).to_be_visible()


def _lose_uplinks(site: Site) -> None:
    """C00004 misses 30 % of its uplinks, C00007 20 %, C00008 2 %, C00009 reported nothing."""
    frames = {
        "C00004": set(range(1, 21)) - {3, 4, 9, 10, 11, 15},
        "C00007": set(range(1, 11)) - {5, 6},
        "C00008": set(range(1, 51)) - {20},
    }
    with psycopg.connect(site.database_url) as conn:
        for container_id, numbers in frames.items():
            row = conn.execute(
                "SELECT dev_eui FROM containers WHERE container_id = %s", (container_id,)
            ).fetchone()
            assert row is not None
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO ingest_keys (key) VALUES (%s)",
                    [(f"fc:{row[0]}:0:{n}",) for n in numbers],
                )


def test_sensors_that_miss_uplinks_are_listed_worst_first(site: Site, page: Page) -> None:
    """Frame numbers a sensor used with nothing stored (lost on the radio) list it; one that
    lost one uplink in fifty is not listed."""
    _lose_uplinks(site)
    sign_in(page, site.url, "operator")
    listed = page.locator("#links li")
    expect(listed).to_have_count(2)
    expect(listed.nth(0)).to_contain_text("C00004 · 6 of 20 uplinks missing (30 %)")
    expect(listed.nth(1)).to_contain_text("C00007 · 2 of 10 uplinks missing (20 %)")
    listed.nth(0).get_by_role("button", name="C00004").click()
    expect(page.locator("#detail-title")).to_have_text("Container C00004")
    expect(page.locator("#detail-facts")).to_contain_text("6 of 20 uplinks missing (30 %)")
    page.evaluate("window.operatorMap.onSelect('C00008')")
    expect(page.locator("#detail-facts")).to_contain_text("1 of 50 uplinks missing (2 %)")
    page.evaluate("window.operatorMap.onSelect('C00009')")
    expect(page.locator("#detail-facts")).to_contain_text("no uplink stored")


def test_every_ingest_worker_is_shown_and_a_quiet_one_stands_out(site: Site, page: Page) -> None:
    figures = "host, pid, started_at, running, queue_depth, received, stored, duplicates,"
    figures += " quarantined, dead_letters, database_retries, clock_corrections, superseded,"
    figures += " last_database_error, hygiene_matching, caught_up"
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            f"INSERT INTO ingest_workers (worker_id, seen_at, {figures}) VALUES"
            " ('ingest-a', now(), 'node-1', 41, now() - interval '2 hours', true, 3,"
            "  12400, 12345, 0, 4, 2, 0, 0, 0, NULL, true, 1530),"
            " ('ingest-b', now() - interval '5 minutes', 'node-2', 42, now() - interval '1 day',"
            "  true, 0, 900, 880, 0, 0, 0, 7, 0, 0, 'connection refused', false, 0)"
        )
    sign_in(page, site.url, "operator")
    rows = page.locator("#ingest-workers tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("ingest-a")
    expect(rows.nth(0)).to_contain_text("running")
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("12,345")
    expect(rows.nth(0).locator("td").nth(4)).to_have_text("6")
    expect(rows.nth(0)).not_to_have_class("problem")
    expect(rows.nth(0)).to_contain_text("1,530 caught up after a broker restart")
    expect(rows.nth(1)).not_to_contain_text("caught up")
    expect(rows.nth(1)).to_contain_text("not heard from since")
    expect(rows.nth(1)).to_contain_text("last database error: connection refused")
    expect(rows.nth(1)).to_have_class("problem")


def test_the_sensors_listed_are_those_the_api_calls_weak(
    site: Site, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The share comes from the API (/config.js), the one the dispensers' flag uses too."""
    monkeypatch.setattr(site_config, "WEAK_LINK_PERCENT", 25.0)
    _lose_uplinks(site)
    sign_in(page, site.url, "operator")
    listed = page.locator("#links li")
    expect(listed).to_have_count(1)
    expect(listed.nth(0)).to_contain_text("C00004 · 6 of 20 uplinks missing (30 %)")
