"""The alert list every alerted role has on its screen: acknowledge, resolve with a note, most
urgent first. Home care and infection control had none, so their alerts escalated without end."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from conftest import Site, sign_in
from playwright.sync_api import Page, expect
from seed import username

from tilsyn.platform.alerts.models import Severity, Signal
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import CONTAINER_READINGS

pytestmark = pytest.mark.browser


def _state_of(site: Site, alert_id: str | None) -> tuple[str, str | None, list[object]]:
    """The alert's state, who acknowledged it, and the details of its history."""
    with psycopg.connect(site.database_url) as conn:
        row = conn.execute(
            "SELECT state, acknowledged_by FROM alerts WHERE alert_id = %s", (alert_id,)
        ).fetchone()
        assert row is not None, f"no alert {alert_id}"
        history = conn.execute(
            "SELECT detail FROM alert_history WHERE alert_id = %s ORDER BY id", (alert_id,)
        ).fetchall()
    return row[0], row[1], [h[0] for h in history]


def _raise(site: Site, *signals: Signal) -> None:
    with psycopg.connect(site.database_url) as conn:
        apply_signals(conn, list(signals))


def _signal(
    entity: tuple[str, str],
    severity: Severity,
    audience: str,
    title: str,
    ago: timedelta = timedelta(0),
) -> Signal:
    at = datetime.now(UTC) - ago
    return Signal(entity[0], entity[1], "test_rule", True, at, severity, audience, "", title)  # type: ignore[arg-type]


def _fire_in(site: Site, container_id: str, dev_eui: str) -> None:
    row = (datetime.now(UTC), container_id, dev_eui, 1, 75.0, 80, False, 82.0, 1)
    site.engine.observe(
        [Accepted(f"c{time.time_ns()}", ((CONTAINER_READINGS, (row,)),))], time.time()
    )


def test_the_home_care_nurse_acknowledges_and_resolves_a_patient_alert(
    site: Site, page: Page
) -> None:
    sign_in(page, site.url, "home_care_nurse")
    expect(page.locator("#connection")).to_have_text("Live")
    site.red_pulse("P-ANNA")
    alert = page.locator("#alerts .alert", has_text="Heart rate 131")
    expect(alert).to_be_visible()
    alert_id = alert.get_attribute("data-alert-id")
    alert.get_by_role("button", name="Acknowledge").click()
    nurse = username("home_care_nurse")
    expect(alert.locator(".state")).to_have_text(f"acknowledged by {nurse}")
    assert _state_of(site, alert_id)[:2] == ("acknowledged", nurse)

    alert.get_by_role("button", name="P-ANNA").click()  # the alert opens its patient
    expect(page.locator("#patient-title")).to_have_text("Patient P-ANNA")

    alert.get_by_role("button", name="Resolve…").click()
    alert.get_by_label("Note").fill("Called her: new medication, pulse checked again tonight")
    alert.get_by_role("button", name="Resolve", exact=True).click()
    expect(alert).to_have_count(0)
    state, _, history = _state_of(site, alert_id)
    assert state == "resolved"
    assert {"note": "Called her: new medication, pulse checked again tonight"} in history


def test_infection_control_sees_and_acknowledges_its_alerts(site: Site, page: Page) -> None:
    _raise(
        site,
        _signal(
            ("dispenser", "M3-D9"), "warning", "infection_control", "Dispenser M3-D9 nearly empty"
        ),
    )
    sign_in(page, site.url, "infection_control")
    alert = page.locator("#alerts .alert", has_text="Dispenser M3-D9 nearly empty")
    expect(alert).to_be_visible()
    alert_id = alert.get_attribute("data-alert-id")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(alert.locator(".state")).to_have_text(re.compile("^acknowledged by "))
    assert _state_of(site, alert_id)[0] == "acknowledged"


def test_open_and_critical_alerts_come_first(site: Site, page: Page) -> None:
    """The list was newest first: a fire an hour old sat below every newer warning."""
    _raise(
        site,
        _signal(("container", "C00011"), "critical", "operator", "Old fire", timedelta(hours=1)),
        _signal(("container", "C00012"), "warning", "operator", "New warning"),
        _signal(("container", "C00013"), "critical", "operator", "Acknowledged fire"),
    )
    with psycopg.connect(site.database_url) as conn:
        conn.execute("UPDATE alerts SET state = 'acknowledged' WHERE entity_id = 'C00013'")
    sign_in(page, site.url, "operator")
    titles = page.locator("#alerts .alert strong")
    expect(titles.first).to_have_text("Old fire")
    shown = titles.all_inner_texts()
    assert shown.index("Old fire") < shown.index("New warning") < shown.index("Acknowledged fire")


def test_a_note_being_typed_survives_changes_to_the_list(site: Site, page: Page) -> None:
    """The list is redrawn on every change; the item being resolved must not be rebuilt nor
    moved (a moved node loses the focus), whether an alert arrives or one above it changes."""
    _fire_in(site, "C00003", "00a8404100000003")
    sign_in(page, site.url, "operator")
    expect(page.locator("#connection")).to_have_text("Live")
    alert = page.locator("#alerts .alert", has_text="C00003")
    alert_id = alert.get_attribute("data-alert-id")
    alert.get_by_role("button", name="Resolve…").click()
    note = alert.get_by_label("Note")
    note.type("Fire brigade on si")
    _fire_in(site, "C00004", "00a8404100000004")
    newer = page.locator("#alerts .alert", has_text="C00004")
    expect(newer).to_be_visible()
    page.keyboard.type("t")
    # A colleague acknowledges the newer fire, above this one: it moves below it.
    answer = page.request.post(
        f"{site.url}/api/alerts/{newer.get_attribute('data-alert-id')}/acknowledge"
    )
    assert answer.ok
    expect(page.locator("#alerts .alert").last).to_contain_text("C00004")
    page.keyboard.type("e")
    expect(note).to_have_value("Fire brigade on site")
    expect(note).to_be_focused()
    page.keyboard.press("Enter")
    expect(alert).to_have_count(0)
    expect(page.locator("#alerts .alert", has_text="C00004")).to_be_visible()
    assert {"note": "Fire brigade on site"} in _state_of(site, alert_id)[2]
