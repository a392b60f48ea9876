"""`make bench-map` keeps working: its page is the operator's map module with the platform's
own `/config.js`, so a change to either that breaks the bench fails here, not on bench day."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_map.py"


def test_the_map_bench_draws_its_containers(browser: Browser) -> None:
    spec = importlib.util.spec_from_file_location("bench_map", SCRIPT)
    assert spec is not None and spec.loader is not None
    bench_map = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_map)
    (run,) = bench_map.measure(browser, containers=1_500, runs=1)
    assert run["shown"] > 0
    assert all(run[figure] > 0 for figure in ("first", "batch", "everything", "zoom"))
