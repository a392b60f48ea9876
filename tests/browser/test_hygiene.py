"""Infection control: compliance per ward and room type by day and week; dispensers."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from conftest import Site, sign_in
from playwright.sync_api import Page, expect
from seed import WARDS

from tilsyn.platform.hygiene.site import WARD_TIMEZONE
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import DISPENSER_STATUS

pytestmark = pytest.mark.browser


def test_compliance_per_ward_and_room_type_by_day_and_week(site: Site, page: Page) -> None:
    sign_in(page, site.url, "infection_control")
    rows = page.locator("#compliance tbody tr")
    expect(rows).to_have_count(6)  # two wards, three room types
    headers = page.locator("#compliance thead th")
    expect(headers).to_have_count(3 + 7)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", headers.nth(3).inner_text())
    expect(rows.first).to_contain_text("Kirurgisk afsnit")
    expect(page.locator("td.rate.below").first).to_be_visible()
    page.get_by_role("button", name="Per week").click()
    expect(headers.nth(3)).to_have_text(re.compile(r"\d{4}-W\d{2}"))
    expect(page.get_by_role("button", name="Per week")).to_have_attribute("aria-pressed", "true")


def test_dispensers_nearly_empty_offline_or_on_a_flat_battery_are_listed(
    site: Site, page: Page
) -> None:
    sign_in(page, site.url, "infection_control")
    rows = page.locator("#dispensers tbody tr")
    expect(rows).to_have_count(6)
    expect(page.locator("#dispensers .flag.offline")).to_have_count(2)
    expect(page.locator("#dispensers .flag.refill")).to_have_count(2)
    expect(page.locator("#dispensers .flag.battery")).to_have_count(2)
    expect(rows.last).to_contain_text("6 %")
    expect(page.locator("#dispenser-count")).to_have_text("(6 of 8)")


def test_a_dispenser_losing_its_reports_is_listed_with_its_share_lost(
    site: Site, page: Page
) -> None:
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "UPDATE dispenser_status SET time = now(), refill_percent = 90, battery_percent = 90"
        )
        (dev_eui, room) = conn.execute(
            "SELECT dev_eui, room_id FROM dispensers ORDER BY dev_eui LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        # Frames 1-20 of one session, 4 of them never stored.
        keys = [(f"fc:{dev_eui}:0:{n}",) for n in range(1, 21) if n not in (5, 6, 11, 17)]
        conn.cursor().executemany("INSERT INTO ingest_keys (key) VALUES (%s)", keys)
    sign_in(page, site.url, "infection_control")
    rows = page.locator("#dispensers tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(room)
    flag = page.locator("#dispensers .flag.link")
    expect(flag).to_have_text("Weak radio (20 % lost)")
    expect(flag).to_have_attribute("title", re.compile(r"^4 of 20 reports lost in 7 days"))
    expect(page.locator("#dispenser-count")).to_have_text("(1 of 8)")


def test_no_dispenser_needing_attention_is_said_so(site: Site, page: Page) -> None:
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "UPDATE dispenser_status SET time = now(), refill_percent = 90, battery_percent = 90"
        )
    sign_in(page, site.url, "infection_control")
    expect(page.locator("#dispensers tbody")).to_have_text(
        "None: every dispenser reports, gets through and has refill and battery to spare."
    )
    expect(page.locator("#dispenser-count")).to_have_text("(0 of 8)")


def test_opportunities_that_came_too_late_to_count_are_shown_in_their_cell(
    site: Site, page: Page
) -> None:
    today = datetime.now(ZoneInfo(WARD_TIMEZONE)).date()
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "INSERT INTO hygiene_dropped_counts (time, ward_id, day, reason, zone_type, events)"
            " VALUES (now(), 'W-KIR', %s, 'late', 'patient_zone', 4),"
            " (now(), 'W-KIR', %s, 'late', NULL, 9)",  # rubs are no opportunities
            (today, today),
        )
    sign_in(page, site.url, "infection_control")
    late = page.locator("#compliance .late")
    expect(late).to_have_count(1)
    expect(late).to_have_text("+4 late")
    cell = page.locator("#compliance td.rate", has=page.locator(".late"))
    expect(cell).to_have_attribute("title", re.compile(r"4 more came too late to count"))


def test_a_dispenser_running_low_joins_the_list_without_a_reload(site: Site, page: Page) -> None:
    sign_in(page, site.url, "infection_control")
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator("#dispenser-count")).to_have_text("(6 of 8)")
    ward = WARDS[0][0]
    row = (datetime.now(UTC), "70b3d50000000000", ward, 0, 140, 9, 90)  # refill 9 %
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "INSERT INTO dispenser_status (time, dev_eui, ward_id, dispenser_id, use_count,"
            " refill_percent, battery_percent) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            row,
        )
    site.engine.observe(
        [Accepted(f"d{time.time_ns()}", ((DISPENSER_STATUS, (row,)),))], time.time()
    )
    expect(page.locator("#alerts .alert", has_text=f"{ward}/0")).to_be_visible()
    expect(page.locator("#dispenser-count")).to_have_text("(7 of 8)")
