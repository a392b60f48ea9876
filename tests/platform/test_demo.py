"""`tilsyn demo` as a user runs it: serves fill levels quickly, stops cleanly, keeps its data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from stopping import interrupt
from waiting import wait_for

from tilsyn.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="tilsyn-demo-test-"))
    path.chmod(0o755)  # the embedded server runs as `nobody` when the tests run as root
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _start_demo(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MQTT_URL")}
    env |= {"TILSYN_DATA_DIR": str(data_dir), "TILSYN_HTTP_PORT": str(port)}
    tilsyn = Path(sys.executable).parent / "tilsyn"
    return subprocess.Popen(
        [str(tilsyn), "demo", "--containers", "20"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _operator(port: int, data_dir: Path, user: str = "operator") -> httpx.Client | None:
    """A client signed in as a demo user, once the demo is up and has its users."""
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
    try:
        password = json.loads((data_dir / "demo-credentials.json").read_text())[user]
        signed = client.post("/api/auth/login", json={"username": user, "password": password})
        if signed.status_code == 200:
            return client
    except (OSError, ValueError, httpx.HTTPError):
        pass
    client.close()
    return None


def _containers_with_fill(client: httpx.Client) -> list[dict[str, Any]] | None:
    listed: list[dict[str, Any]] = client.get("/api/containers").json()
    return [c for c in listed if c["fill_percent"] is not None] or None


def _reported(client: httpx.Client, path: str, field: str) -> list[dict[str, Any]] | None:
    listed: list[dict[str, Any]] = client.get(path).json()
    return [item for item in listed if item[field] is not None] or None


def _all_reported(client: httpx.Client, hubs: int) -> bool:
    return len(_reported(client, "/api/hubs/health", "reported_at") or []) == hubs


def _stop(demo: subprocess.Popen[str]) -> str:
    # A stop that hangs fails here with every thread's stack (it once did: the night sweep
    # lost its cancellation in asyncio.wait_for, and the server's stop awaited it forever).
    output = interrupt(demo, 60, "the demo")
    assert demo.returncode == 0, output
    # A thread that dies (the alert engine, a fleet) prints its traceback and the rest runs on.
    assert "Traceback" not in output, output
    return output


def test_demo_serves_fill_levels_then_stops_cleanly_and_keeps_data(data_dir: Path) -> None:
    port = free_port()
    started = time.monotonic()
    demo = _start_demo(data_dir, port)
    try:
        operator = wait_for(lambda: _operator(port, data_dir), timeout=60, interval=0.5)
        filled = wait_for(lambda: _containers_with_fill(operator), timeout=60, interval=0.5)
        assert time.monotonic() - started < 60
        assert all(0 <= c["fill_percent"] <= 100 for c in filled)
        page = httpx.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200 and "Sign in" in page.text
        # Every screen has something to show: the home-care nurse's patients have measured,
        # the ward's dispensers have reported.
        homecare = _operator(port, data_dir, "homecare")
        hygiene = _operator(port, data_dir, "hygiene")
        assert homecare is not None and hygiene is not None
        measured = wait_for(lambda: _reported(homecare, "/api/triage", "last_measurement"), 60)
        reported = wait_for(
            lambda: _reported(hygiene, "/api/hygiene/dispensers", "last_report"), 60
        )
        assert len(measured) > 10 and len(reported) > 10
        # The simulated hubs report their health, as agents do, so none shows as silent.
        hubs = homecare.get("/api/hubs/health").json()
        assert len(hubs) > 10
        wait_for(lambda: _all_reported(homecare, len(hubs)), 60)
        homecare.close()
        hygiene.close()
        stored = operator.get("/api/ingest/status").json()["stored"]
        operator.close()
    finally:
        output = _stop(demo)
    assert f"http://127.0.0.1:{port}/" in output
    assert not (data_dir / "pgdata" / "postmaster.pid").exists(), "PostgreSQL left running"

    demo = _start_demo(data_dir, port)
    try:
        operator = wait_for(lambda: _operator(port, data_dir), timeout=60, interval=0.5)
        again = wait_for(lambda: _containers_with_fill(operator), timeout=60, interval=0.5)
        assert len(again) >= len(filled)
        status = wait_for(
            lambda: (s := operator.get("/api/ingest/status").json())["stored"] > 1000 and s,
            timeout=60,
        )
        # The simulated networks repeat a few uplinks on purpose (lost acknowledgements, 2 % on
        # the ward) and replay one in 5,000; a second run repeating the first run's ids or
        # frame counters would make most of its history duplicates or replays.
        assert status["duplicates"] < 0.05 * status["stored"], "the first run's ids repeated"
        assert status["dead_letters"] < 0.01 * status["stored"], "frames taken for replays"
        operator.close()
    finally:
        output = _stop(demo)
    assert stored > 0
    # The badges' stored state went on without deciding anything twice or early.
    assert "replaying the last tick" not in output, output
