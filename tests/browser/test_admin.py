"""The admin's screen: users (deactivated in one click, signed out everywhere) and the audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import psycopg
import pytest
from conftest import Site, sign_in
from playwright.sync_api import Browser, Page, expect
from seed import username

from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.registry.models import HubIn
from tilsyn.platform.registry.store import register_hub

pytestmark = pytest.mark.browser


def test_a_deactivated_user_is_signed_out_everywhere(
    site: Site, page: Page, browser: Browser
) -> None:
    operator = browser.new_context().new_page()
    sign_in(operator, site.url, "operator")
    expect(operator.locator("#summary")).to_contain_text("containers")

    sign_in(page, site.url, "admin")
    name = username("operator")
    row = page.locator(f"#users tbody tr[data-username='{name}']")
    expect(row).to_contain_text("1 device")
    expect(page.locator(f"#users tbody tr[data-username='{username('admin')}']")).to_contain_text(
        "you"
    )
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=f"Deactivate {name}").click()
    expect(page.locator("#users-message")).to_have_text(
        f"{name} is deactivated and signed out everywhere."
    )
    expect(row).to_contain_text("inactive")
    with psycopg.connect(site.database_url) as conn:
        sessions = conn.execute(
            "SELECT count(*) FROM sessions WHERE username = %s", (name,)
        ).fetchone()
    assert sessions == (0,)

    operator.reload()  # her next look at the API finds no session: back to sign-in
    operator.wait_for_url(lambda url: not url.endswith("/operator.html"))
    operator.context.close()

    row.get_by_role("button", name=f"Reactivate {name}").click()
    expect(row).to_contain_text("active")
    expect(row.get_by_role("button", name=f"Deactivate {name}")).to_be_visible()


def test_a_failing_webhook_shows_what_waits_and_why(site: Site, page: Page) -> None:
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "INSERT INTO webhooks (url, secret, audiences)"
            " VALUES ('https://alarm.example.dk/hook', 'x', '{operator}')"
        )
        fire = Signal("container", "C00001", "fire", True, datetime.now(UTC), "critical")
        apply_signals(conn, [replace(fire, audience="operator", title="Fire")])
        conn.execute(
            "UPDATE webhook_deliveries SET attempts = 3, last_error = 'no answer within 5 s'"
        )
    sign_in(page, site.url, "admin")
    row = page.locator("#webhooks tbody tr", has_text="alarm.example.dk")
    expect(row).to_contain_text("no answer within 5 s")
    expect(row).to_contain_text("waiting since")
    expect(row.locator("td.count")).to_have_text("1")


def test_a_hub_that_has_not_applied_its_settings_is_shown_to_the_admin(
    site: Site, page: Page
) -> None:
    with psycopg.connect(site.database_url) as conn:
        register_hub(conn, HubIn(hub_id="H-OLD", unit="Våler", patient_ids=["P-ANNA"]))
        conn.execute(
            "INSERT INTO hub_config_pushed (hub_id, version, digest, pushed_at, version_pushed_at)"
            " VALUES ('H-OLD', 5, 'x', now() - interval '1 hour', now() - interval '1 hour')"
        )
        conn.execute(
            "INSERT INTO hub_health (time, hub_id, queue_depth, queue_bytes, last_contact,"
            " dropped_total, dropped_by_reason, devices, config_version)"
            " VALUES (now(), 'H-OLD', 0, 0, now(), 0, '{}', '[]', 4)"
        )
    sign_in(page, site.url, "admin")
    row = page.locator("#hubs tbody tr[data-hub-id='H-OLD']")
    expect(row).to_contain_text("runs settings version 4, not 5")
    expect(row).to_contain_text("P-ANNA")
    expect(page.locator("#hub-count")).to_have_text("(1)")
