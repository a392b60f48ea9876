"""The ingest benchmark runs end to end (tiny sizes) and prints what `make bench` promises."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FIGURE = re.compile(r"^([a-z0-9_]+) (\S+) (\S+)$")


def test_bench_ingest_prints_figures_and_loses_nothing() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tilsyn.platform.bench.ingest",
            "--seconds",
            "0.5",
            "--target-rate",
            "2000",
            "--ceiling-messages",
            "2000",
            "--edge-messages",
            "20",
            "--edge-readings",
            "50",
            "--latency-seconds",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = {}
    for line in result.stdout.splitlines():
        match = FIGURE.match(line)
        assert match, f"not a `name value unit` line: {line!r}"
        figures[match[1]] = float(match[2])
    assert figures["ingest_uplinks_lost"] == 0
    assert figures["ingest_edge_lost"] == 0
    assert figures["ingest_latency_lost"] == 0
    assert figures["ingest_edge_readings"] == pytest.approx(
        figures["ingest_edge_batches"] * 50, rel=1e-4
    )
    for name in ("ingest_raw_broker_qos1", "ingest_uplinks_qos1", "ingest_latency_p99_at_1000"):
        assert figures[name] > 0


def test_bench_alerts_measures_every_trigger() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tilsyn.platform.bench.alerts",
            "--triggers",
            "5",
            "--background-rate",
            "200",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = {m[1]: float(m[2]) for m in map(FIGURE.match, result.stdout.splitlines()) if m}
    assert len(figures) == len(result.stdout.splitlines())
    assert figures["alert_latency_alerts_missed"] == 0
    assert 0 < figures["alert_latency_p50_at_1000"] <= figures["alert_latency_p99_at_1000"]
    # The steady fleet is load, not alerts; the churning one is a storm of them.
    assert figures["alert_background_changes"] == 0
    assert figures["alert_background_changes_churning"] > 10
    assert figures["alert_latency_p50_at_1000_churning"] > 0
