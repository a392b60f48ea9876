"""Write a PNG of every screen at desktop and phone size into screenshots/.

Runs on embedded defaults: a throwaway PostgreSQL, seeded with containers around Herning,
home-care patients, wards and dispensers, tonight's night shift, and a few live alerts (the red
pulse becomes an urgent night task); the routes come from "Plan now".
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]

from fix_server import LiveServer  # noqa: E402
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright  # noqa: E402
from screens_app import CHROMIUM, CHROMIUM_ARGS, build_platform, seed_everything  # noqa: E402
from seed import PASSWORD, username  # noqa: E402

from tilsyn.platform.db.embedded import EmbeddedPostgres  # noqa: E402
from tilsyn.platform.db.migrate import apply_migrations  # noqa: E402
from tilsyn.platform.ingest.outcomes import Accepted  # noqa: E402
from tilsyn.platform.ingest.tables import CONTAINER_READINGS, VITAL_OBSERVATIONS  # noqa: E402

SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1440, "height": 900},
    "phone": {"width": 360, "height": 740},
}
# (file name, role, page, what to wait for before the picture)
SCREENS = (
    ("signin", None, "/", "#login"),
    ("operator", "operator", "/operator.html", ".alert"),
    ("operator-detail", "operator", "/operator.html", ".alert"),
    ("night", "night_nurse", "/night.html", ".task"),
    ("homecare", "home_care_nurse", "/homecare.html", "#triage tbody tr"),
    ("homecare-patient", "home_care_nurse", "/homecare.html", "#triage tbody tr"),
    ("hygiene", "infection_control", "/hygiene.html", "#compliance tbody tr"),
    ("admin", "admin", "/admin.html", "#audit tbody tr"),
)


def raise_alerts(platform_engine: object) -> None:
    """A fire in one container, a full one, and a red pulse for a home-care patient."""
    now = datetime.now(UTC)
    rows = (
        (CONTAINER_READINGS, ((now, "C00007", "00a8404100000007", 1, 55.0, 80, False, 84.0, 1),)),
        (VITAL_OBSERVATIONS, ((now, "P-ANNA", "heart_rate", 131.0, "/min", None, None, "hub-1"),)),
    )
    platform_engine.observe([Accepted(f"s{time.time_ns()}", rows)], time.time())  # type: ignore[attr-defined]


def shoot(browser: Browser, url: str, out: Path) -> None:
    for name, role, path, ready in SCREENS:
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, is_mobile=size == "phone")
            page = context.new_page()
            if role is not None:
                sign_in(page, url, role)
            page.goto(url + path)
            page.wait_for_selector(ready, timeout=15_000)
            prepare(page, name)
            page.wait_for_timeout(600)  # let map tiles of outline and charts settle
            page.screenshot(path=str(out / f"{name}-{size}.png"), full_page=name != "operator")
            context.close()


def prepare(page: Page, name: str) -> None:
    if name == "operator":
        page.get_by_role("button", name="Plan now").click()
        page.wait_for_selector("#routes tbody tr")
    elif name == "operator-detail":
        page.evaluate("window.operatorMap.onSelect('C00007')")
        page.wait_for_selector("#history-chart canvas")
    elif name == "homecare-patient":
        page.get_by_role("button", name="P-ANNA").click()
        page.wait_for_selector("#charts canvas")


def sign_in(page: Page, url: str, role: str) -> None:
    page.goto(url + "/")
    page.get_by_label("User name").fill(username(role))  # type: ignore[arg-type]
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: not u.endswith("/"))


def main() -> int:
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tilsyn-screens-"))
    work.chmod(0o755)  # the embedded server runs as an unprivileged user
    try:
        with EmbeddedPostgres(work / "data", durable=False) as server:
            with psycopg.connect(server.url) as conn:
                apply_migrations(conn)
            seed_everything(server.url, containers=400)
            platform = build_platform(server.url)
            with LiveServer(platform.app) as live, sync_playwright() as playwright:
                raise_alerts(platform.engine)
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                shoot(browser, live.url, out)
                browser.close()
            platform.engine.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"screenshots written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
