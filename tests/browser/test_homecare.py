"""The home-care nurse's triage board, patient trends, threshold edits, and the audit trail."""

from __future__ import annotations

import re

import psycopg
import pytest
from conftest import Site, sign_in
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser


def test_the_board_is_ordered_red_yellow_green_with_news2_and_reasons(
    site: Site, page: Page
) -> None:
    sign_in(page, site.url, "home_care_nurse")
    rows = page.locator("#triage tbody tr")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.patientId)") == [
        "P-ANNA",
        "P-BENT",
        "P-CARL",
    ]
    assert [rows.nth(i).locator(".badge").inner_text() for i in range(3)] == [
        "red",
        "yellow",
        "green",
    ]
    expect(rows.first).to_contain_text("Heart rate")
    expect(rows.first.locator("td").nth(1)).not_to_have_text("–")
    values = rows.nth(1).locator(".values")
    expect(values).to_contain_text("Temperature 36.8 °C")
    expect(values).to_contain_text("Systolic BP 128 mmHg")
    expect(values).not_to_contain_text("Cel")


def test_a_patient_shows_trends_and_a_threshold_edit_recolours_the_board(
    site: Site, page: Page, browser: Browser
) -> None:
    sign_in(page, site.url, "home_care_nurse")
    page.get_by_role("button", name="P-CARL").click()
    expect(page.locator("#patient-title")).to_have_text("Patient P-CARL")
    expect(page.locator("#charts figure")).to_have_count(2)
    expect(page.locator("#charts figure[data-kind='heart_rate'] canvas")).to_be_attached()
    page.get_by_label("Measurement").select_option("heart_rate")
    page.get_by_label("Yellow below").fill("40")
    page.get_by_label("Green from").fill("50")
    page.get_by_label("Green to").fill("65")
    page.get_by_label("Yellow above").fill("110")
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.locator("#threshold-message")).to_have_text("Saved thresholds for Heart rate.")
    carl = page.locator("#triage tbody tr[data-patient-id='P-CARL']")
    expect(carl.locator(".badge")).to_have_text("yellow")

    admin = browser.new_context().new_page()
    sign_in(admin, site.url, "admin")
    admin.get_by_role("textbox", name="Patient").fill("P-CARL")
    admin.get_by_role("button", name="Show").click()
    actions = admin.locator("#audit tbody tr td:nth-child(4)")
    expect(actions.first).to_be_visible()
    assert {"set_threshold", "read_measurements", "triage_board"} <= set(actions.all_inner_texts())
    expect(admin.locator("#audit tbody")).to_contain_text("home.care.nurse")
    admin.context.close()


def test_invalid_thresholds_are_refused_with_the_reason(site: Site, page: Page) -> None:
    sign_in(page, site.url, "home_care_nurse")
    page.get_by_role("button", name="P-BENT").click()
    page.get_by_label("Green from").fill("120")
    page.get_by_label("Green to").fill("60")
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.locator("#threshold-message")).to_contain_text("Not saved")


def test_one_click_schedules_a_visit_with_the_triage_reason(site: Site, page: Page) -> None:
    sign_in(page, site.url, "home_care_nurse")
    page.get_by_role("button", name="P-ANNA").click()
    expect(page.get_by_label("Reason")).to_have_value(re.compile("red"))
    page.get_by_role("button", name="Schedule a visit").click()
    expect(page.locator("#visit-message")).to_contain_text("Visit requested for P-ANNA, due by")
    with psycopg.connect(site.database_url) as conn:
        requests = conn.execute("SELECT patient_id, state, reason FROM visit_requests").fetchall()
    assert [(patient, state) for patient, state, _ in requests] == [("P-ANNA", "requested")]
    assert requests[0][2].startswith("red")


def test_a_prescribed_spo2_scale_2_rescores_the_patient(site: Site, page: Page) -> None:
    """P-ANNA's SpO2 of 91 % scores 3 on scale 1 and 0 on scale 2 (target 88-92 %)."""
    sign_in(page, site.url, "home_care_nurse")
    news2 = page.locator("#triage tbody tr[data-patient-id='P-ANNA'] td").nth(1)
    expect(news2).not_to_have_text("–")
    before = int(news2.inner_text().split(" · ")[0])
    page.get_by_role("button", name="P-ANNA").click()
    expect(page.get_by_label("SpO₂ scale")).to_have_value("1")
    page.get_by_label("SpO₂ scale").select_option("2")
    page.get_by_role("button", name="Save scale").click()
    expect(page.locator("#spo2-scale-message")).to_have_text("P-ANNA is scored on SpO₂ scale 2.")
    expect(news2).to_contain_text("SpO₂ scale 2")
    assert int(news2.inner_text().split(" · ")[0]) == before - 3


def test_a_double_click_schedules_one_visit(site: Site, page: Page) -> None:
    sign_in(page, site.url, "home_care_nurse")
    page.get_by_role("button", name="P-ANNA").click()
    page.get_by_role("button", name="Schedule a visit").dblclick()
    expect(page.locator("#visit-message")).to_contain_text("Visit requested for P-ANNA")
    with psycopg.connect(site.database_url) as conn:
        (count,) = conn.execute("SELECT count(*) FROM visit_requests").fetchone() or (0,)
    assert count == 1


def test_a_patient_that_cannot_be_opened_says_why(site: Site, page: Page) -> None:
    page.route("**/api/patients/P-ANNA/measurements*", lambda r: r.fulfill(status=500, body="{}"))
    sign_in(page, site.url, "home_care_nurse")
    page.get_by_role("button", name="P-ANNA").click()
    expect(page.locator("#notice")).to_contain_text("Could not open the patient")
    expect(page.locator("#summary")).to_contain_text("as of")
