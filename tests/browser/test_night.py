"""The night nurse's phone: ordered tasks, live urgent insertions, and a link that drops.

The plan is the platform's own: seeded tasks planned by the solver, urgent tasks from real
alerts raised through the alert engine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from conftest import Site, sign_in, watched_page
from playwright.sync_api import Browser, Page, Route, expect
from seed import PASSWORD

from tilsyn.platform.api.routes import night as night_routes
from tilsyn.platform.auth.store import create_user

pytestmark = pytest.mark.browser
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0 Mobile Safari/537.36"
)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        user_agent=ANDROID,
    )
    opened, errors = watched_page(context)
    yield opened
    context.close()
    assert not errors, f"script errors in the page: {errors}"


def test_tasks_in_order_with_window_eta_reason_and_actions(site: Site, phone: Page) -> None:
    sign_in(phone, site.url, "night_nurse")
    cards = phone.locator(".task")
    expect(cards).to_have_count(3)
    assert cards.evaluate_all("cs => cs.map(c => c.dataset.taskId)") == ["T1", "T2", "T3"]
    first = cards.first
    expect(first).to_contain_text("Insulin, evening dose")
    expect(first).to_contain_text("ETA")
    expect(first.get_by_role("link")).to_have_attribute("href", "geo:56.14,8.98?q=56.14,8.98(Birk)")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
    assert first.get_by_role("button", name="Start Birk").bounding_box()["height"] >= 44  # type: ignore[index]
    first.get_by_role("button", name="Acknowledge Birk").click()
    expect(first.locator(".state")).to_have_text("acknowledged")
    first.get_by_role("button", name="Start Birk").click()
    first.get_by_role("button", name="Done Birk").click()
    expect(first.locator(".state")).to_have_text("done")
    expect(phone.locator("#summary")).to_have_text("2 of 3 tasks left")


def test_a_new_urgent_task_appears_without_a_reload(site: Site, phone: Page) -> None:
    sign_in(phone, site.url, "night_nurse")
    expect(phone.locator("#connection")).to_have_text("Live")
    expect(phone.locator(".task")).to_have_count(3)
    phone.evaluate("window.notReloaded = true")
    site.red_pulse("P-ANNA")  # lives in Hammerum
    urgent = phone.locator(".task", has_text="Hammerum")
    expect(urgent).to_contain_text("Alert:")
    expect(urgent.locator(".urgent-tag")).to_have_text("URGENT")
    expect(phone.locator("#announce")).to_contain_text("New urgent task: Hammerum")
    expect(phone.locator(".task")).to_have_count(4)
    assert phone.evaluate("window.notReloaded") is True


def test_the_list_recovers_after_the_connection_drops(site: Site, phone: Page) -> None:
    sign_in(phone, site.link.url, "night_nurse")
    expect(phone.locator("#connection")).to_have_text("Live")
    site.link.cut()
    expect(phone.locator("#connection")).to_contain_text("Offline")
    expect(phone.locator("#night-status")).to_contain_text("No connection")
    expect(phone.locator(".task")).to_have_count(3)  # the last plan stays on screen
    site.red_pulse("P-BENT")  # lives in Tjørring; planned while the phone is offline
    site.link.restore()
    expect(phone.locator("#connection")).to_have_text("Live")
    expect(phone.locator(".task", has_text="Tjørring").locator(".urgent-tag")).to_be_visible()
    expect(phone.locator("#night-status")).to_be_hidden()


def test_buttons_pressed_without_signal_are_kept_and_sent_with_their_time(
    site: Site, phone: Page
) -> None:
    sign_in(phone, site.link.url, "night_nurse")
    expect(phone.locator("#connection")).to_have_text("Live")
    site.link.cut()
    expect(phone.locator("#connection")).to_contain_text("Offline")
    first = phone.locator(".task").first
    first.get_by_role("button", name="Start Birk").click()
    first.get_by_role("button", name="Done Birk").click()
    pressed_by = datetime.now(UTC)
    expect(first.locator(".state")).to_have_text("done · waiting for signal")
    expect(phone.locator("#summary")).to_have_text("2 of 3 tasks left")
    expect(phone.locator("#night-status")).to_contain_text("Saved on this phone (2 not sent)")
    assert _stamps(site.database_url) == (None, None)

    phone.get_by_role("button", name="Sign out").click()  # the warning is dismissed: she stays
    expect(phone.locator(".task").first.locator(".state")).to_contain_text("waiting for signal")
    assert phone.url.endswith("/night.html")

    time.sleep(1.5)  # the signal comes back a while after she pressed
    site.link.restore()
    expect(first.locator(".state")).to_have_text("done", timeout=15_000)
    expect(phone.locator("#night-status")).to_be_hidden()
    started, done = _stamps(site.database_url)
    assert started is not None and done is not None
    assert started <= done <= pressed_by, "stored as pressed, not as sent"


def test_the_screen_opens_again_without_signal_with_the_last_plan(site: Site, phone: Page) -> None:
    sign_in(phone, site.link.url, "night_nurse")
    expect(phone.locator(".task")).to_have_count(3)
    phone.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    site.link.cut()
    phone.reload()
    expect(phone.locator("#connection")).to_contain_text("Offline")
    expect(phone.locator(".task")).to_have_count(3)
    expect(phone.locator("#night-status")).to_contain_text("No connection")
    first = phone.locator(".task").first
    first.get_by_role("button", name="Start Birk").click()
    expect(first.locator(".state")).to_have_text("started · waiting for signal")
    site.link.restore()
    expect(first.locator(".state")).to_have_text("started", timeout=15_000)
    assert _stamps(site.database_url)[0] is not None


def _stamps(database_url: str) -> tuple[datetime | None, datetime | None]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT started_at, done_at FROM night_tasks WHERE task_id = 'T1'")
        found = row.fetchone()
    assert found is not None
    return found[0], found[1]


def test_what_was_pressed_without_signal_survives_a_session_that_ran_out(
    site: Site, phone: Page
) -> None:
    """Her 12-hour session ends while she has no signal: the first send is refused (401) and
    the phone goes to sign-in. The presses stay on the phone and are sent after she signs in
    (every entry used to be dropped, one 401 after another)."""
    sign_in(phone, site.link.url, "night_nurse")
    expect(phone.locator("#connection")).to_have_text("Live")
    site.link.cut()
    first = phone.locator(".task").first
    first.get_by_role("button", name="Start Birk").click()
    first.get_by_role("button", name="Done Birk").click()
    expect(first.locator(".state")).to_have_text("done · waiting for signal")
    with psycopg.connect(site.database_url) as conn:
        conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    site.link.restore()
    phone.wait_for_url(lambda url: not url.endswith("/night.html"), timeout=15_000)
    sign_in(phone, site.link.url, "night_nurse")
    expect(phone.locator(".task").first.locator(".state")).to_have_text("done", timeout=15_000)
    started, done = _stamps(site.database_url)
    assert started is not None and done is not None


def test_a_send_lost_while_the_screen_is_live_is_tried_again(site: Site, phone: Page) -> None:
    """One POST lost on the mobile link while the live stream stays up: it is sent again
    within seconds, without her pressing anything."""
    sign_in(phone, site.url, "night_nurse")
    expect(phone.locator("#connection")).to_have_text("Live")
    lost = {"left": 1}

    def lose_one(route: Route) -> None:
        if route.request.method == "POST" and lost["left"]:
            lost["left"] -= 1
            route.abort("connectionreset")
        else:
            route.continue_()

    phone.route("**/api/night/tasks/**", lose_one)
    first = phone.locator(".task").first
    first.get_by_role("button", name="Start Birk").click()
    expect(phone.locator("#night-status")).to_contain_text("Saved on this phone (1 not sent)")
    expect(first.locator(".state")).to_have_text("started", timeout=15_000)
    expect(phone.locator("#connection")).to_have_text("Live")
    assert _stamps(site.database_url)[0] is not None


def test_a_session_that_ends_while_the_screen_is_open_goes_to_sign_in(
    site: Site, phone: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed out elsewhere (or deactivated) with the list open: the live stream ends, and
    the screen asks her to sign in instead of waiting for a signal that is there."""
    monkeypatch.setattr(night_routes, "KEEPALIVE_S", 1.0)  # the stream looks at each one
    sign_in(phone, site.url, "night_nurse")
    expect(phone.locator("#connection")).to_have_text("Live")
    with psycopg.connect(site.database_url) as conn:
        conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    phone.wait_for_url(lambda url: not url.endswith("/night.html"), timeout=20_000)
    expect(phone.get_by_label("User name")).to_be_visible()


def test_a_nurse_with_no_shift_tonight_is_told_so(site: Site, phone: Page) -> None:
    with psycopg.connect(site.database_url) as conn:
        create_user(conn, "vikar", "night_nurse", PASSWORD)
    phone.goto(site.url + "/")
    phone.get_by_label("User name").fill("vikar")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    status = phone.locator("#night-status")
    expect(status).to_contain_text("No night shift for you")
    expect(status).not_to_contain_text("No connection")
    expect(phone.locator("#summary")).to_have_text("No tasks")
    expect(phone.locator("#connection")).to_have_text("No shift")


def test_focus_stays_on_the_task_after_a_button_press(site: Site, phone: Page) -> None:
    sign_in(phone, site.url, "night_nurse")
    start = phone.get_by_role("button", name="Start Birk")
    start.focus()
    phone.keyboard.press("Enter")
    expect(phone.locator(".task").first.locator(".state")).to_have_text("started")
    focused = phone.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Done Birk", f"focus went to {focused!r}"
    assert phone.get_by_role("button", name="Sign out").bounding_box()["height"] >= 44  # type: ignore[index]
    link = phone.locator(".task").first.get_by_role("link")
    assert link.bounding_box()["height"] >= 44  # type: ignore[index]
