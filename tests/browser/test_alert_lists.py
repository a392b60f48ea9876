"""The alert list every alerted role has on its screen: acknowledge, resolve with a note, most
urgent first. Home care and infection control had none, so their alerts escalated without end.
Comments hand an alert over between shifts, and a patient alert the night shift took on says
whether a night nurse is coming."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from conftest import Site, sign_in
from night_seed import give_home
from playwright.sync_api import Page, expect
from seed import PASSWORD, username

from tilsyn.platform.alerts.models import Severity, Signal
from tilsyn.platform.alerts.store import apply_signals
from tilsyn.platform.auth.store import User, create_user, start_session
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


def _colleague(site: Site, name: str, role: str) -> dict[str, str]:
    """Another user of the role, signed in on her own screen: her session's Authorization."""
    with psycopg.connect(site.database_url) as conn:
        create_user(conn, name, role, PASSWORD)  # type: ignore[arg-type]
        token = start_session(conn, User(name, "", role))  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def _comment(site: Site, who: dict[str, str], alert_id: str | None, text: str) -> None:
    answer = httpx.post(
        f"{site.url}/api/alerts/{alert_id}/comments", headers=who, json={"text": text}, timeout=30
    )
    assert answer.status_code == 200, answer.text


def _said(who: str, text: str) -> re.Pattern[str]:
    """A comment as the list shows it: who, when, what."""
    return re.compile(f"^{re.escape(who)} · .+: {re.escape(text)}$")


def test_comments_hand_an_alert_over_and_reach_colleagues_live(site: Site, page: Page) -> None:
    """Staff hand over between shifts in an alert's comments ("called daughter, she will check
    at 9"): the list showed none and offered no way to write one."""
    _raise(site, _signal(("patient", "P-BENT"), "warning", "home_care", "Pulse 112"))
    sign_in(page, site.url, "home_care_nurse")
    expect(page.locator("#connection")).to_have_text("Live")
    alert = page.locator("#alerts .alert", has_text="Pulse 112")
    alert_id = alert.get_attribute("data-alert-id")
    comments = alert.locator(".comments li")

    alert.get_by_role("button", name="Comment…").click()
    alert.get_by_label("Comment").fill("Called daughter, she will check at 9")
    alert.get_by_role("button", name="Add comment").click()
    nurse = username("home_care_nurse")
    expect(comments).to_have_text([_said(nurse, "Called daughter, she will check at 9")])
    expect(alert.get_by_label("Comment")).to_be_hidden()

    # A colleague comments from her own screen: it shows here without a reload, newest last.
    kari = _colleague(site, "kari.home", "home_care_nurse")
    _comment(site, kari, alert_id, "Daughter called back: all well")
    expect(comments).to_have_count(2, timeout=30_000)
    expect(comments.last).to_have_text(_said("kari.home", "Daughter called back: all well"))

    # What is being typed survives a colleague's comment on the same alert, which rebuilds it.
    alert.get_by_role("button", name="Comment…").click()
    field = alert.get_by_label("Comment")
    field.type("Night nurse ")
    _comment(site, kari, alert_id, "Pulse 95 now")
    expect(comments).to_have_count(3, timeout=30_000)
    page.keyboard.type("informed")
    expect(field).to_have_value("Night nurse informed")
    expect(field).to_be_focused()
    page.keyboard.press("Enter")
    expect(comments).to_have_text(
        [
            _said(nurse, "Called daughter, she will check at 9"),
            _said("kari.home", "Daughter called back: all well"),
            _said("kari.home", "Pulse 95 now"),
            _said(nurse, "Night nurse informed"),
        ]
    )
    assert {"text": "Night nurse informed"} in _state_of(site, alert_id)[2]


Placed = tuple[str | None, datetime | None, str | None]  # nurse, eta, why on no route


def _night_tasks_placed(site: Site, alert_ids: list[str]) -> dict[str, Placed]:
    """Waits until the planner has placed (or explained) the alerts' night tasks: they come
    after the alert, from the night service."""
    deadline = time.monotonic() + 120
    while True:
        with psycopg.connect(site.database_url) as conn:
            rows = conn.execute(
                "SELECT alert_id::text, nurse, eta, unplanned_reason FROM night_tasks"
                " WHERE alert_id::text = ANY(%s)"
                " AND (nurse IS NOT NULL OR unplanned_reason IS NOT NULL)",
                (alert_ids,),
            ).fetchall()
        if len(rows) == len(alert_ids):
            return {row[0]: row[1:] for row in rows}
        assert time.monotonic() < deadline, f"night tasks not planned: {rows}"
        time.sleep(0.5)


def test_a_patient_alert_at_night_says_whether_a_night_nurse_is_coming(
    site: Site, page: Page
) -> None:
    """A critical patient alert at night becomes an urgent night task. When no nurse could be
    there in time, the planner's reason showed on the night phones only: home care, watching
    the alert, was not told. Now the screen hears it live, as the plan is made."""
    with psycopg.connect(site.database_url) as conn:  # far beyond reach within the hour
        give_home(conn, "P-CARL", "Skagen Havn 1, 9990 Skagen", (57.7209, 10.5839))
    sign_in(page, site.url, "home_care_nurse")
    expect(page.locator("#connection")).to_have_text("Live")
    site.red_pulse("P-ANNA")
    site.red_pulse("P-CARL")
    pulse = page.locator("#alerts .alert", has_text="Heart rate 131")
    anna, carl = pulse.filter(has_text="P-ANNA"), pulse.filter(has_text="P-CARL")
    ids = [str(alert.get_attribute("data-alert-id")) for alert in (anna, carl)]
    placed = _night_tasks_placed(site, ids)  # no reload: the alert's stream tells of it

    nurse_of_anna, eta, _ = placed[ids[0]]
    assert nurse_of_anna and eta, placed
    expected = page.evaluate(
        "iso => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit',"
        " hourCycle: 'h23' })",
        eta.isoformat(),
    )
    visit = anna.locator(".night-visit")
    expect(visit).to_have_text(f"Night nurse on the way, expected {expected}", timeout=30_000)
    expect(visit).not_to_have_class(re.compile("error"))

    _, _, reason = placed[ids[1]]
    assert reason and reason.startswith("window closes at"), placed
    refused = carl.locator(".night-visit")
    expect(refused).to_have_text(f"No night nurse can come: {reason}")
    expect(refused).to_have_css("color", "rgb(198, 40, 40)")  # the screens' red

    # A colleague acknowledges it: the stream's news of that does not hide the night visit.
    kari = _colleague(site, "kari.home", "home_care_nurse")
    answer = httpx.post(f"{site.url}/api/alerts/{ids[1]}/acknowledge", headers=kari, timeout=30)
    assert answer.status_code == 200, answer.text
    expect(carl.locator(".state")).to_have_text("acknowledged by kari.home", timeout=30_000)
    expect(refused).to_have_text(f"No night nurse can come: {reason}")
