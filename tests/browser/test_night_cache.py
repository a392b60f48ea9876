"""The plan a night phone keeps: only the signed-in nurse's, never an earlier night's shown
as tonight's, and gone once the session is; an older plan answer never overwrites a newer.

The phone is shared between nurses (a ward phone), so what one nurse's plan holds (patients'
addresses, alert titles) must not reach the next one to pick it up."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from conftest import Site, sign_in, watched_page
from night_seed import nurse, seed_shift, task
from playwright.sync_api import Browser, Page, Route, expect
from seed import PASSWORD, username

from tilsyn.platform.auth.store import create_user

pytestmark = pytest.mark.browser
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0 Mobile Safari/537.36"
)
PLAN = f"tilsyn.night.plan.{username('night_nurse')}"
OUTBOX = f"tilsyn.night.outbox.{username('night_nurse')}"
SUNDS = (56.2, 9.02)
# Every plan kept on the phone, under whatever key (the old one was the same for every nurse).
KEPT_PLANS = "Object.keys(localStorage).filter(k => k.startsWith('tilsyn.night.plan')).sort()"
# Every task card the page ever drew, even for a moment.
WATCH_CARDS = """
window.cardsSeen = [];
new MutationObserver(() => {
  for (const card of document.querySelectorAll("li.task")) {
    window.cardsSeen.push(card.dataset.taskId);
  }
}).observe(document, { childList: true, subtree: true });
"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, user_agent=ANDROID
    )
    opened, errors = watched_page(context)
    yield opened
    context.close()
    assert not errors, f"script errors in the page: {errors}"


def _sign_in_as(phone: Page, url: str, name: str) -> None:
    phone.goto(url + "/")
    phone.get_by_label("User name").fill(name)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("her_shift", [False, True], ids=["no-shift", "own-shift"])
def test_the_next_nurse_on_the_phone_never_sees_the_last_ones_plan(
    site: Site, phone: Page, her_shift: bool
) -> None:
    """Her cookie ran out on the phone while the screen was closed (no 401 seen), and a
    colleague signs in: none of the first nurse's tasks is drawn, not even before the server
    answers, and her plan is gone from the phone (also under the key every nurse shared
    before plans were kept per nurse)."""
    with psycopg.connect(site.database_url) as conn:
        create_user(conn, "vikar", "night_nurse", PASSWORD)
        if her_shift:
            seed_shift(conn, [nurse("vikar")], [task("V1", "Sunds", 30, "Eye drops", SUNDS)])
    sign_in(phone, site.url, "night_nurse")
    expect(phone.locator(".task")).to_have_count(3)
    assert phone.evaluate(KEPT_PLANS) == [PLAN]
    phone.evaluate(f"localStorage.setItem('tilsyn.night.plan', localStorage.getItem('{PLAN}'))")
    phone.context.clear_cookies()
    phone.context.add_init_script(WATCH_CARDS)
    _sign_in_as(phone, site.url, "vikar")
    if her_shift:
        expect(phone.locator(".task")).to_have_count(1)
        expect(phone.locator(".task")).to_contain_text("Sunds")
        assert set(phone.evaluate("window.cardsSeen")) == {"V1"}
        assert phone.evaluate(KEPT_PLANS) == ["tilsyn.night.plan.vikar"]
    else:
        expect(phone.locator("#connection")).to_have_text("No shift")
        expect(phone.locator("#summary")).to_have_text("No tasks")
        expect(phone.locator(".task")).to_have_count(0)
        assert phone.evaluate("window.cardsSeen") == []
        assert phone.evaluate(KEPT_PLANS) == []


def _another_nurse_signs_in(site: Site, phone: Page) -> None:
    """`vikar` signs in on the phone (her own shift, task V1 in Sunds) while the screen is
    still the night nurse's: the phone's cookie is hers now."""
    with psycopg.connect(site.database_url) as conn:
        create_user(conn, "vikar", "night_nurse", PASSWORD)
        seed_shift(conn, [nurse("vikar")], [task("V1", "Sunds", 30, "Eye drops", SUNDS)])
    signed_in = phone.context.request.post(
        site.url + "/api/auth/login", data={"username": "vikar", "password": PASSWORD}
    )
    assert signed_in.ok


def test_a_press_is_never_sent_under_another_nurses_name(site: Site, phone: Page) -> None:
    """A press on the first nurse's screen, with the phone signed in as another: it is kept
    for her (not sent under the other's name), and the phone goes to the other's screen."""
    sign_in(phone, site.url, "night_nurse")
    expect(phone.locator(".task")).to_have_count(3)
    _another_nurse_signs_in(site, phone)
    phone.get_by_role("button", name="Start Birk").click()
    expect(phone.locator(".task")).to_have_count(1, timeout=15_000)
    expect(phone.locator(".task")).to_contain_text("Sunds")
    assert phone.evaluate(KEPT_PLANS) == ["tilsyn.night.plan.vikar"]
    outbox = phone.evaluate(f"localStorage.getItem('{OUTBOX}')")
    assert [(p["taskId"], p["action"]) for p in json.loads(outbox)] == [("T1", "start")]
    with psycopg.connect(site.database_url) as conn:
        row = conn.execute("SELECT started_at FROM night_tasks WHERE task_id = 'T1'").fetchone()
    assert row == (None,)


def test_a_plan_answered_for_another_nurse_takes_the_phone_to_her_screen(
    site: Site, phone: Page
) -> None:
    """The live stream, opened again after a drop, answers for the nurse now signed in on
    the phone: the first nurse's plan is not kept (it used to be overwritten under her
    name and shown on her screen), and the phone goes to the other nurse's screen."""
    sign_in(phone, site.link.url, "night_nurse")
    expect(phone.locator("#connection")).to_have_text("Live")
    _another_nurse_signs_in(site, phone)
    # One refusal on the way (a proxy's 503), so that the stream opens afresh and sends the
    # plan, whatever revision the phone had seen.
    refused = {"left": 1}

    def refuse_once(route: Route) -> None:
        if refused["left"]:
            refused["left"] -= 1
            route.fulfill(status=503, body="")
        else:
            route.continue_()

    phone.route("**/api/night/stream", refuse_once)
    site.link.cut()
    expect(phone.locator("#connection")).to_contain_text("Offline")
    site.link.restore()
    expect(phone.locator(".task")).to_have_count(1, timeout=15_000)
    expect(phone.locator(".task")).to_contain_text("Sunds")
    assert phone.evaluate(KEPT_PLANS) == ["tilsyn.night.plan.vikar"]


def test_no_shift_answer_clears_the_plan_on_screen(site: Site, phone: Page) -> None:
    """Her shift is over (or was moved) while the phone still holds its plan: the server's
    "no shift" takes the plan off the screen and off the phone, not left under the badge."""
    sign_in(phone, site.url, "night_nurse")
    expect(phone.locator(".task")).to_have_count(3)
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "UPDATE night_shifts SET starts_at = now() - interval '14 hours',"
            " ends_at = now() - interval '5 hours'"
        )
    phone.reload()
    expect(phone.locator("#connection")).to_have_text("No shift")
    expect(phone.locator("#summary")).to_have_text("No tasks")
    expect(phone.locator(".task")).to_have_count(0)
    assert phone.evaluate(KEPT_PLANS) == []


def _kept_shift_ended(phone: Page, ago: timedelta) -> None:
    plan = json.loads(phone.evaluate(f"localStorage.getItem('{PLAN}')"))
    plan["shift_ends"] = (datetime.now(UTC) - ago).isoformat()
    phone.evaluate("([key, value]) => localStorage.setItem(key, value)", [PLAN, json.dumps(plan)])


def test_a_kept_plan_of_a_shift_that_ended_is_not_shown_as_tonights(
    site: Site, phone: Page
) -> None:
    """Opened without signal: a plan whose shift ended shortly before is shown as over (she
    may be finishing a visit begun before the end); last night's is not shown at all."""
    sign_in(phone, site.link.url, "night_nurse")
    expect(phone.locator(".task")).to_have_count(3)
    phone.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    site.link.cut()

    _kept_shift_ended(phone, timedelta(minutes=10))
    phone.reload()
    expect(phone.locator("#connection")).to_contain_text("Offline")
    expect(phone.locator(".task")).to_have_count(3)
    expect(phone.locator("#summary")).to_have_text(re.compile(r"^Shift ended \d\d:\d\d: 3 of 3"))

    _kept_shift_ended(phone, timedelta(hours=10))
    phone.reload()
    expect(phone.locator("#connection")).to_contain_text("Offline")
    expect(phone.locator("#night-status")).to_contain_text("No connection")
    expect(phone.locator(".task")).to_have_count(0)
    assert phone.evaluate(KEPT_PLANS) == []


def test_a_session_that_ran_out_leaves_no_plan_for_whoever_picks_up_the_phone(
    site: Site, phone: Page
) -> None:
    """Her session ends with the screen open: the phone goes to sign-in, and neither going
    back nor opening the screen without signal shows her patients to the next person."""
    sign_in(phone, site.link.url, "night_nurse")
    expect(phone.locator("#connection")).to_have_text("Live")
    phone.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    with psycopg.connect(site.database_url) as conn:
        conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    site.link.cut()  # the stream reconnects, and is refused (401)
    expect(phone.locator("#connection")).to_contain_text("Offline")
    site.link.restore()
    phone.wait_for_url(lambda url: not url.endswith("/night.html"), timeout=15_000)
    assert phone.evaluate(KEPT_PLANS) == []
    assert phone.evaluate("localStorage.getItem('tilsyn.me')") is None

    site.link.cut()
    phone.go_back()  # the page as it was left, or opened again without signal
    # Without signal the screen waits for its requests to fail first: that may take a while.
    settled = re.compile("Signed out|Cannot load")
    expect(phone.locator("#summary")).to_have_text(settled, timeout=30_000)
    expect(phone.locator(".task")).to_have_count(0)
    phone.goto(site.link.url + "/night.html")
    expect(phone.locator("#summary")).to_contain_text("Cannot load this screen", timeout=30_000)
    expect(phone.locator(".task")).to_have_count(0)


def test_a_signal_that_carries_nothing_shows_the_kept_plan_not_loading_for_ever(
    site: Site, phone: Page
) -> None:
    """One bar of signal: the phone is connected, but no answer ever comes. The screen gives
    its reads up after a while and shows the plan it kept, saying it is offline."""
    sign_in(phone, site.url, "night_nurse")
    expect(phone.locator(".task")).to_have_count(3)
    unanswered: list[str] = []
    phone.route("**/api/**", lambda route: unanswered.append(route.request.url))
    phone.clock.install()
    phone.reload()
    expect(phone.locator("#summary")).to_have_text("Loading tasks…")
    for asked, path in enumerate(["/api/auth/me", "/api/night/plan"], start=1):
        _until(phone, lambda asked=asked: len(unanswered) >= asked)
        assert unanswered[asked - 1].endswith(path)
        phone.clock.fast_forward(16_000)
    expect(phone.locator(".task")).to_have_count(3)
    expect(phone.locator("#connection")).to_contain_text("Offline")


def _until(phone: Page, done: Callable[[], bool], timeout_s: float = 15.0) -> None:
    """Lets Playwright deliver its events (route handlers run then) until `done()`."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "not within the time"
        phone.wait_for_timeout(50)


def test_an_older_plan_answer_arriving_late_is_ignored(site: Site, phone: Page) -> None:
    """The plan asked for after a press is overtaken by the stream's newer plan: when the
    older answer arrives, it does not put the task back to its earlier state."""
    sign_in(phone, site.url, "night_nurse")
    expect(phone.locator("#connection")).to_have_text("Live")
    older = phone.evaluate(f"localStorage.getItem('{PLAN}')")
    held: list[Route] = []
    phone.route("**/api/night/plan", lambda route: held.append(route))
    first = phone.locator(".task").first
    first.get_by_role("button", name="Start Birk").click()
    # The stream's plan: the task started (marked as not sent, if it came before the answer).
    expect(first.locator(".state")).to_contain_text("started")
    phone.wait_for_function(
        f"JSON.parse(localStorage.getItem('{PLAN}')).tasks[0].state === 'started'"
    )
    for _ in range(100):  # the plan asked for once the press was sent, held back
        if held:
            break
        phone.wait_for_timeout(100)
    held[0].fulfill(status=200, content_type="application/json", body=older)
    phone.wait_for_timeout(1000)
    expect(first.locator(".state")).to_have_text("started")
    assert json.loads(phone.evaluate(f"localStorage.getItem('{PLAN}')"))["tasks"][0]["state"] == (
        "started"
    )


def test_a_cancelled_task_is_not_counted_as_work_left(site: Site, phone: Page) -> None:
    sign_in(phone, site.url, "night_nurse")
    expect(phone.locator("#summary")).to_have_text("3 of 3 tasks left")
    plan = json.loads(phone.evaluate(f"localStorage.getItem('{PLAN}')"))
    plan["revision"] += 1
    plan["tasks"][2] |= {"state": "cancelled", "planned": False, "eta": None}
    phone.route(
        "**/api/night/plan",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(plan)
        ),
    )
    phone.reload()
    expect(phone.locator("#summary")).to_have_text("2 of 2 tasks left")
