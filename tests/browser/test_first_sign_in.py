"""A user an admin adds signs in with a one-time password and must choose her own before any
screen opens; the API refuses her everything else meanwhile."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from conftest import Site, sign_in, watched_page
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

ONE_TIME = "given by the admin"
HER_OWN = "only Nina knows this"
WAIT_MS = 30_000  # two cores shared with other work: be patient with every page


def _add_user_as_admin(page: Page, site: Site) -> None:
    sign_in(page, site.url, "admin")
    expect(page.locator("#one-time-hint")).to_contain_text("one-time password", timeout=WAIT_MS)
    form = page.locator("#add-user")
    form.get_by_label("User name").fill("nina.ny")
    form.get_by_label("Name", exact=True).fill("Nina Ny")
    form.get_by_label("Role").select_option("home_care_nurse")
    form.get_by_label("One-time password").fill(ONE_TIME)
    form.get_by_role("button", name="Add user").click()
    expect(page.locator("#users-message")).to_contain_text("nina.ny is added", timeout=WAIT_MS)
    row = page.locator("#users tbody tr[data-username='nina.ny']")
    expect(row).to_contain_text("one-time password not yet replaced", timeout=WAIT_MS)


def _sign_in_with_one_time_password(nurse: Page, site: Site) -> None:
    nurse.goto(site.url + "/")
    nurse.get_by_label("User name").fill("nina.ny")
    nurse.get_by_label("Password", exact=True).fill(ONE_TIME)
    nurse.get_by_role("button", name="Sign in").click()
    choose = nurse.get_by_role("heading", name="Choose a new password")
    expect(choose).to_be_visible(timeout=WAIT_MS)
    expect(nurse).to_have_url(site.url + "/")
    # Just typed: not asked again.
    expect(nurse.get_by_label("One-time password")).to_have_count(0)


def _login(site: Site, password: str) -> httpx.Response:
    body = {"username": "nina.ny", "password": password}
    return httpx.post(f"{site.url}/api/auth/login", json=body, timeout=30)


def test_a_new_user_chooses_her_own_password_before_any_screen_opens(
    site: Site, page: Page, browser: Browser
) -> None:
    _add_user_as_admin(page, site)

    context = browser.new_context()
    nurse, errors = watched_page(context)
    context.set_default_timeout(WAIT_MS)
    _sign_in_with_one_time_password(nurse, site)

    refused = nurse.request.get(site.url + "/api/triage")
    assert refused.status == 403 and "choose a new password first" in refused.text()
    nurse.goto(site.url + "/homecare.html")  # her screen sends her back to choose first
    expect(nurse.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(nurse).to_have_url(site.url + "/")

    nurse.get_by_label("One-time password").fill(ONE_TIME)  # after a reload it is asked
    nurse.get_by_label("New password", exact=True).fill(HER_OWN)
    nurse.get_by_label("New password again").fill(HER_OWN + " typo")
    nurse.get_by_role("button", name="Save and continue").click()
    expect(nurse.locator("#password-error")).to_have_text("The two new passwords differ.")
    nurse.get_by_label("New password again").fill(HER_OWN)
    nurse.get_by_role("button", name="Save and continue").click()
    nurse.wait_for_url(site.url + "/homecare.html")
    expect(nurse.locator("#who")).to_have_text("Nina Ny")
    assert nurse.request.get(site.url + "/api/triage").status == 200
    context.close()
    assert not errors, f"script errors in the page: {errors}"

    assert _login(site, ONE_TIME).status_code == 401, "the one-time password is spent"
    signed = _login(site, HER_OWN)
    assert signed.status_code == 200 and signed.json()["must_change_password"] is False
    page.reload()
    row = page.locator("#users tbody tr[data-username='nina.ny']")
    expect(row).to_contain_text("active", timeout=WAIT_MS)
    expect(row).not_to_contain_text("one-time password")


def test_an_unused_one_time_password_expires_and_both_screens_say_so(
    site: Site, page: Page, browser: Browser
) -> None:
    """Nina never came: three days on, the sign-in form tells her to ask for a new password,
    and the admin's list says the old one expired."""
    _add_user_as_admin(page, site)
    row = page.locator("#users tbody tr[data-username='nina.ny']")
    expect(row).to_contain_text("works until", timeout=WAIT_MS)
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "UPDATE users SET one_time_password_expires_at = now() - interval '1 minute'"
            " WHERE username = 'nina.ny'"
        )
    page.reload()
    expect(row).to_contain_text("one-time password expired: set a new one", timeout=WAIT_MS)

    context = browser.new_context()
    nurse, errors = watched_page(context)
    context.set_default_timeout(WAIT_MS)
    nurse.goto(site.url + "/")
    nurse.get_by_label("User name").fill("nina.ny")
    nurse.get_by_label("Password", exact=True).fill(ONE_TIME)
    nurse.get_by_role("button", name="Sign in").click()
    expect(nurse.locator("#login-error")).to_have_text(
        "this one-time password has expired: ask an administrator for a new one"
    )
    context.close()
    assert not errors, f"script errors in the page: {errors}"
