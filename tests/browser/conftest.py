"""Fixtures of the browser tests: a seeded platform on a real uvicorn server, and a real
headless Chromium (Debian's) signing in through the form like a user.

Helpers live beside this file (`seed.py`, `screens_app.py`); this directory goes on
the path so the tests and scripts/screenshots.py can import them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from direct_ingest import store
from fix_server import LiveServer
from link import Link
from lorawan import chirpstack_uplink
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from screens_app import CHROMIUM, CHROMIUM_ARGS, build_platform, seed_everything
from seed import PASSWORD, username

from tilsyn.platform.alerts.engine import AlertEngine
from tilsyn.platform.containers.feed import ContainerFeed
from tilsyn.platform.ingest.outcomes import Accepted
from tilsyn.platform.ingest.tables import VITAL_OBSERVATIONS


def wait_until(page: Page, check: Callable[[], bool], what: str, seconds: float = 10) -> None:
    """Let the page run (its request events and route handlers too) until `check` holds."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        page.wait_for_timeout(100)


@dataclass
class Site:
    url: str
    database_url: str
    engine: AlertEngine
    link: Link  # the same server behind a link that can be cut
    feed: ContainerFeed

    def uplink(self, dev_eui: str, payload_hex: str) -> None:
        """A ChirpStack uplink stored and handed to the observers, as ingest does."""
        stored = store(self.database_url, chirpstack_uplink(dev_eui, payload_hex)).fresh
        self.engine.observe(stored, time.time())
        self.feed.observe(stored, time.time())

    def red_pulse(self, patient_id: str) -> None:
        """A pulse of 131/min for the patient, handed to the alert engine as ingest does."""
        row = (datetime.now(UTC), patient_id, "heart_rate", 131.0, "/min", None, None, "hub-1")
        self.engine.observe(
            [Accepted(f"v{time.time_ns()}", ((VITAL_OBSERVATIONS, (row,)),))], time.time()
        )


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    seed_everything(database_url)
    platform = build_platform(database_url)
    with LiveServer(platform.app) as server:
        link = Link(server.port)
        feed = platform.app.state.container_feed
        yield Site(server.url, database_url, platform.engine, link, feed)
        link.close()
    platform.engine.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium as root")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def watched_page(context: BrowserContext) -> tuple[Page, list[str]]:
    """A page whose uncaught script errors are collected, to fail the test on any."""
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    return opened, errors


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened, errors = watched_page(context)
    yield opened
    context.close()
    assert not errors, f"script errors in the page: {errors}"


def sign_in(page: Page, url: str, role: str) -> None:
    """Sign in through the form, as a person would, and wait for the role's screen."""
    page.goto(url + "/")
    page.get_by_label("User name").fill(username(role))  # type: ignore[arg-type]
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: not u.endswith("/"))
