"""The operator corrects a container in its detail panel: saved, on record, and the marker at
its new place on her map and on every other open map."""

from __future__ import annotations

import psycopg
import pytest
from conftest import Site, sign_in, watched_page
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tilsyn.platform.containers.models import FILL_SENSOR_CODECS

pytestmark = pytest.mark.browser
WAIT_MS = 30_000  # two cores shared with other work: the stream's batch may take a while
MOVED_TO = (56.1512, 8.9517)


# Counts the live stream's `retired` events the page hears, in `window.retiredEvents`.
COUNT_RETIRED_EVENTS = """
window.retiredEvents = 0;
const PlainEventSource = window.EventSource;
window.EventSource = class extends PlainEventSource {
  constructor(...args) {
    super(...args);
    this.addEventListener("retired", () => { window.retiredEvents += 1; });
  }
};
"""


def _open_map(page: Page, site: Site) -> None:
    page.context.set_default_timeout(WAIT_MS)
    sign_in(page, site.url, "operator")
    expect(page.locator("#summary")).to_contain_text("30 containers", timeout=WAIT_MS)


def _marker_at(page: Page, container_id: str) -> list[float]:
    position: list[float] = page.evaluate(
        "(id) => { const p = window.operatorMap.markers.get(id).getLatLng();"
        " return [p.lat, p.lng]; }",
        container_id,
    )
    return position


def _watched_while_shown(
    site: Site, page: Page, browser: Browser, container_id: str
) -> tuple[BrowserContext, Page, list[str]]:
    """Another operator's live map, and this page's map with the container's detail open."""
    watcher_context = browser.new_context(viewport={"width": 1280, "height": 800})
    watcher, watcher_errors = watched_page(watcher_context)
    _open_map(watcher, site)
    expect(watcher.locator("#connection")).to_have_text("Live", timeout=WAIT_MS)
    _open_map(page, site)
    page.evaluate(f"window.operatorMap.onSelect('{container_id}')")
    expect(page.locator("#detail-title")).to_have_text(f"Container {container_id}", timeout=WAIT_MS)
    return watcher_context, watcher, watcher_errors


def test_a_moved_container_is_saved_and_its_marker_moves_on_every_open_map(
    site: Site, page: Page, browser: Browser
) -> None:
    watcher_context, watcher, watcher_errors = _watched_while_shown(site, page, browser, "C00002")

    page.get_by_role("button", name="Edit").click()
    form = page.locator("#container-edit")
    expect(form.get_by_label("Address")).to_have_value("Bredgade 3, 7400 Herning")
    expect(page.locator("#container-changes")).to_have_text("None.", timeout=WAIT_MS)
    form.get_by_label("Address").fill("Torvet 1, 7400 Herning")
    form.get_by_label("Latitude").fill(str(MOVED_TO[0]))
    form.get_by_label("Longitude").fill(str(MOVED_TO[1]))
    form.get_by_role("button", name="Save").click()

    expect(page.locator("#edit-message")).to_have_text("Saved.", timeout=WAIT_MS)
    expect(page.locator("#detail-facts")).to_contain_text("Torvet 1, 7400 Herning")
    change = page.locator("#container-changes li")
    expect(change).to_have_count(1, timeout=WAIT_MS)
    expect(change).to_contain_text("address: Bredgade 3, 7400 Herning → Torvet 1, 7400 Herning")
    expect(change).to_contain_text(f"→ {MOVED_TO[0]}; longitude: ")
    assert _marker_at(page, "C00002") == list(MOVED_TO)
    with psycopg.connect(site.database_url) as conn:
        stored = conn.execute(
            "SELECT address, latitude, longitude FROM containers WHERE container_id = 'C00002'"
        ).fetchone()
    assert stored == ("Torvet 1, 7400 Herning", *MOVED_TO)

    # The other operator's map moves the marker from the live stream, without a reload.
    watcher.evaluate("window.notReloaded = true")
    watcher.wait_for_function(
        "([lat, lng]) => { const p = window.operatorMap.markers.get('C00002').getLatLng();"
        " return p.lat === lat && p.lng === lng; }",
        arg=list(MOVED_TO),
        timeout=WAIT_MS,
    )
    assert watcher.evaluate("window.notReloaded") is True
    watcher_context.close()
    assert not watcher_errors, f"script errors in the watching page: {watcher_errors}"


def test_a_refused_change_says_why_in_the_form_and_changes_nothing(site: Site, page: Page) -> None:
    _open_map(page, site)
    page.evaluate("window.operatorMap.onSelect('C00004')")
    expect(page.locator("#detail-title")).to_have_text("Container C00004", timeout=WAIT_MS)
    before = _marker_at(page, "C00004")
    page.get_by_role("button", name="Edit").click()
    form = page.locator("#container-edit")
    # The codecs offered are the ones the API takes, from its own list.
    codecs = form.get_by_label("Codec").locator("option").all_inner_texts()
    assert codecs == ["Keep the sensor's", *FILL_SENSOR_CODECS]
    # The seeded sensor hangs 1800 mm above the bottom: full cannot be further away.
    form.get_by_label("Full distance (mm)").fill("2000")
    form.get_by_label("Latitude").fill("56.2")
    form.get_by_role("button", name="Save").click()
    message = page.locator("#edit-message")
    expect(message).to_contain_text(
        "full_distance_mm must be less than empty_distance_mm", timeout=WAIT_MS
    )
    expect(message).to_have_class("message wide error")
    assert _marker_at(page, "C00004") == before
    with psycopg.connect(site.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM container_changes").fetchone()
    assert row == (0,)


def test_a_retired_container_leaves_her_map_and_every_other_open_map(
    site: Site, page: Page, browser: Browser
) -> None:
    page.add_init_script(COUNT_RETIRED_EVENTS)
    watcher_context, watcher, watcher_errors = _watched_while_shown(site, page, browser, "C00003")
    # The map zooms in to it (out of its cluster), the tooltip naming it.
    expect(page.locator(".leaflet-tooltip")).to_contain_text("C00003 · ")
    page.get_by_role("button", name="Edit").click()
    retire = page.locator("#container-retire")
    retire.get_by_role("button", name="Retire container").click()
    expect(page.locator("#retire-message")).to_have_text("Say why the container is retired.")
    assert page.evaluate("window.operatorMap.markers.has('C00003')") is True

    retire.get_by_label("Reason for retiring").fill("Igloo removed: the square is rebuilt")
    retire.get_by_role("button", name="Retire container").click()
    expect(page.locator("#detail-title")).to_have_text("Container C00003, retired")
    expect(page.locator("#detail-status")).to_contain_text("Its readings and changes are kept.")
    expect(page.locator("#detail-edit")).to_be_hidden()
    expect(page.locator("#summary")).to_contain_text("29 containers")
    assert page.evaluate("window.operatorMap.markers.has('C00003')") is False
    assert "C00003" not in page.locator("#container-ids option").evaluate_all(
        "(options) => options.map((o) => o.value)"
    )
    with psycopg.connect(site.database_url) as conn:
        row = conn.execute(
            "SELECT retired_reason FROM container_register WHERE container_id = 'C00003'"
        ).fetchone()
    assert row == ("Igloo removed: the square is rebuilt",)

    # The other operator's map drops the marker from the live stream, without a reload.
    watcher.evaluate("window.notReloaded = true")
    expect(watcher.locator("#summary")).to_contain_text("29 containers", timeout=WAIT_MS)
    assert watcher.evaluate("window.operatorMap.markers.has('C00003')") is False
    assert watcher.evaluate("window.notReloaded") is True
    # The stream told her page too; her panel stays open, to undo a mistake.
    page.wait_for_function("window.retiredEvents > 0", timeout=WAIT_MS)
    expect(page.locator("#detail-title")).to_have_text("Container C00003, retired")

    page.get_by_role("button", name="Put back in service").click()
    expect(page.locator("#detail-status")).to_have_text(
        "Back in service: on the map and in the routes again."
    )
    expect(page.locator("#detail-title")).to_have_text("Container C00003")
    expect(page.get_by_role("button", name="Put back in service")).to_be_hidden()
    expect(page.locator("#summary")).to_contain_text("30 containers")
    assert page.evaluate("window.operatorMap.markers.has('C00003')") is True
    expect(watcher.locator("#summary")).to_contain_text("30 containers", timeout=WAIT_MS)
    assert watcher.evaluate("window.operatorMap.markers.has('C00003')") is True
    assert watcher.evaluate("window.notReloaded") is True
    watcher_context.close()
    assert not watcher_errors, f"script errors in the watching page: {watcher_errors}"
