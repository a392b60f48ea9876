"""The operator map with 10,000 containers, measured in a real headless Chromium.

Prints `name value unit` lines: the first render (all markers clustered and drawn), an update
batch of 1,000 changed fills (restyle and re-colour their clusters), an update of all 10,000,
and one zoom step. The map module is the one the operator screen uses; the container states
are generated in the page, so this measures the browser side alone (fetching and parsing the
JSON list is not included).
"""

from __future__ import annotations

import statistics
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tilsyn.platform.api.routes.site_config import site_config_script
from tilsyn.platform.config import Settings

STATIC = Path(__file__).resolve().parent.parent / "platform" / "web" / "static"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
CONTAINERS = 10_000
RUNS = 3

BENCH_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="vendor/leaflet/leaflet.css">
<link rel="stylesheet" href="vendor/leaflet.markercluster/MarkerCluster.css">
<link rel="stylesheet" href="style.css">
<style>#map{position:absolute;inset:0}</style></head>
<body><div id="map"></div>
<script src="config.js"></script><script src="vendor/leaflet/leaflet.js"></script>
<script src="vendor/leaflet.markercluster/leaflet.markercluster.js"></script>
<script type="module">
import { ContainerMap } from "./container-map.js";
const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const states = Array.from({ length: __COUNT__ }, (_, i) => ({
  container_id: `C${i}`, latitude: 56.1393 + (random() - 0.5) * 0.12,
  longitude: 8.9738 + (random() - 0.5) * 0.2, fill_percent: random() * 100,
}));
window.bench = async () => {
  const map = new ContainerMap(document.getElementById("map"), window.TILSYN_CONFIG, null);
  await map.addBackground(window.TILSYN_CONFIG);
  await frame();
  let t = performance.now();
  map.apply(states);
  await map.whenLoaded();
  await frame();
  const first = performance.now() - t;
  const bump = (s) => ({ ...s, fill_percent: (s.fill_percent + 50) % 100 });
  const some = states.slice(0, 1000).map(bump);
  t = performance.now(); map.apply(some); await frame();
  const batch = performance.now() - t;
  const all = states.map(bump);
  t = performance.now(); map.apply(all); await frame();
  const everything = performance.now() - t;
  t = performance.now();
  await new Promise((r) => { map.map.once("zoomend", r); map.map.setZoom(map.map.getZoom() + 1); });
  await frame();
  const zoom = performance.now() - t;
  return { first, batch, everything, zoom, shown: map.visibleCount() };
};
window.benchReady = true;
</script></body></html>"""


class Handler(SimpleHTTPRequestHandler):
    """The static files, the bench page, and `/config.js` as the platform serves it (the
    defaults: the bundled outlines, no tile server)."""

    containers = CONTAINERS

    def do_GET(self) -> None:
        if self.path == "/__bench.html":
            self._send(BENCH_PAGE.replace("__COUNT__", str(self.containers)), "text/html")
        elif self.path == "/config.js":
            self._send(site_config_script(Settings()), "text/javascript")
        else:
            super().do_GET()

    def _send(self, text: str, media_type: str) -> None:
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", f"{media_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def one_run(browser: Browser, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(url + "/__bench.html")
    page.wait_for_function("window.benchReady === true")
    result: dict[str, float] = page.evaluate("window.bench()")
    context.close()
    if result["shown"] <= 0:
        raise RuntimeError("no containers drawn")
    return result


def measure(browser: Browser, containers: int = CONTAINERS, runs: int = RUNS) -> list[dict]:
    """Each run's figures (ms) and markers shown, in a fresh page of `browser`."""
    handler = type("CountedHandler", (Handler,), {"containers": containers})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(STATIC)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        return [one_run(browser, url) for _ in range(runs)]
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        runs = measure(browser)
        browser.close()
    for key, name in (
        ("first", f"map_first_render_{CONTAINERS}"),
        ("batch", "map_update_batch_1000"),
        ("everything", f"map_update_batch_{CONTAINERS}"),
        ("zoom", f"map_zoom_step_{CONTAINERS}"),
    ):
        print(f"{name} {statistics.median(r[key] for r in runs):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
