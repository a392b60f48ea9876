"""Sign-in sends each role to its own screen, and no screen shows what a role must not see."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from conftest import Site, sign_in
from playwright.sync_api import Browser, Page, expect
from seed import PATIENTS

from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import CONTAINER_READINGS, VITAL_OBSERVATIONS

pytestmark = pytest.mark.browser
SCREENS = {
    "operator": "/operator.html",
    "night_nurse": "/night.html",
    "home_care_nurse": "/homecare.html",
    "infection_control": "/hygiene.html",
    "admin": "/admin.html",
}


def test_each_role_lands_on_its_own_screen_and_can_sign_out(site: Site, browser: Browser) -> None:
    for role, screen in SCREENS.items():
        context = browser.new_context()
        page = context.new_page()
        sign_in(page, site.url, role)
        expect(page).to_have_url(site.url + screen)
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(site.url + "/")
        assert page.request.get(site.url + "/api/auth/me").status == 401
        context.close()


def test_a_wrong_password_is_refused_and_signed_out_pages_send_you_to_sign_in(
    site: Site, page: Page
) -> None:
    page.goto(site.url + "/operator.html")
    expect(page).to_have_url(site.url + "/")
    page.get_by_label("User name").fill("operator")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_have_text("wrong user name or password")


def test_a_night_nurse_cannot_open_the_triage_board(site: Site, page: Page) -> None:
    sign_in(page, site.url, "night_nurse")
    triage_calls: list[int] = []
    page.on("response", lambda r: triage_calls.append(r.status) if "/api/triage" in r.url else None)
    page.goto(site.url + "/homecare.html")
    expect(page).to_have_url(site.url + "/night.html")
    expect(page.locator("#triage")).to_have_count(0)
    assert triage_calls == [], "the page never asks for the board for a role that may not see it"
    assert page.request.get(site.url + "/api/triage").status == 403


def test_an_operator_sees_no_patient_data(site: Site, page: Page) -> None:
    sign_in(page, site.url, "operator")
    expect(page.locator("#connection")).to_have_text("Live")
    now = datetime.now(UTC)
    pulse = (now, "P-ANNA", "heart_rate", 140.0, "/min", None, None, "hub-1")
    fill = (now, "C00004", "00a8404100000004", 1, 75.0, 80, False, 85.0, 1)
    tables = ((VITAL_OBSERVATIONS, (pulse,)), (CONTAINER_READINGS, (fill,)))
    site.engine.observe([Accepted(f"x{time.time_ns()}", tables)], time.time())
    expect(page.locator(".alert", has_text="C00004")).to_be_visible()
    text = page.locator("body").inner_text()
    assert not [p for p, _, _ in PATIENTS if p in text]
    for path in ("/api/triage", "/api/patients/P-ANNA/measurements", "/api/admin/audit"):
        assert page.request.get(site.url + path).status == 403, path
    page.goto(site.url + "/homecare.html")
    expect(page).to_have_url(site.url + "/operator.html")
