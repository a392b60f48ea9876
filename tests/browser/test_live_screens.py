"""What changes while a screen is open: fill on the operator's map, and the threshold form that
starts from what is saved."""

from __future__ import annotations

import psycopg
import pytest
from conftest import Site, sign_in
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
# EM310-UDL: battery 92 %, distance 400 mm (0x0190), upright. With the seeded containers'
# 1800 mm empty and 300 mm full that is 93 % full.
NEARLY_FULL = "01755C03829001040000"


def test_a_new_reading_recolours_the_map_without_a_reload(site: Site, page: Page) -> None:
    with psycopg.connect(site.database_url) as conn:
        container_id, dev_eui = conn.execute(
            "SELECT c.container_id, c.dev_eui FROM containers c JOIN container_latest l"
            " USING (container_id) WHERE l.fill_percent < 50 ORDER BY 1 LIMIT 1"
        ).fetchone() or ("", "")
        (full_before,) = conn.execute(
            "SELECT count(*) FROM container_latest WHERE fill_percent >= 80"
        ).fetchone() or (0,)
    assert container_id, "the seed has a container below half full"
    sign_in(page, site.url, "operator")
    expect(page.locator("#summary")).to_contain_text(f"{full_before} at 80 % or more")
    page.wait_for_function("window.operatorMap.markers.size === 30")
    fill_class = f"window.operatorMap.markers.get('{container_id}').options.fillClass"
    before = page.evaluate(fill_class)
    page.evaluate("window.notReloaded = true")
    site.uplink(dev_eui, NEARLY_FULL)
    expect(page.locator("#summary")).to_contain_text(f"{full_before + 1} at 80 % or more")
    assert page.evaluate(fill_class) != before, "the marker took the new fill's colour"
    assert page.evaluate("window.notReloaded") is True


def test_the_threshold_form_shows_the_saved_thresholds_of_the_chosen_measurement(
    site: Site, page: Page
) -> None:
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "INSERT INTO patient_thresholds (patient_id, kind, green_low, green_high, yellow_low,"
            " yellow_high) VALUES ('P-CARL', 'spo2', 93, NULL, 89, NULL)"
            " ON CONFLICT (patient_id, kind) DO UPDATE SET green_low = 93, green_high = NULL,"
            " yellow_low = 89, yellow_high = NULL"
        )
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-CARL").click()
    page.locator("#threshold-kind").select_option("spo2")
    form = page.locator("#thresholds")
    expect(form.locator("input[name=green_low]")).to_have_value("93")
    expect(form.locator("input[name=yellow_low]")).to_have_value("89")
    expect(form.locator("input[name=green_high]")).to_have_value("")
    page.locator("#threshold-kind").select_option("body_weight")
    expect(form.locator("input[name=green_low]")).to_have_value("")
