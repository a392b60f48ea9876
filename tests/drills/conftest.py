"""Fault drills: each reports what it sent, stored and lost and how long recovery took, and the
session ends with one table of them all.

The quick drills run in every test run; the long ones only with TILSYN_DRILLS=all (`make drills`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the drills' helpers (importlib mode)

from drill_figures import DrillReport, drill_table, figures
from drill_uplinks import register_containers, start_ingest

from tilsyn.platform.ingest.service import IngestService

LONG_DRILLS_WANTED = os.environ.get("TILSYN_DRILLS") == "all"


@pytest.fixture
def drill_report(request: pytest.FixtureRequest) -> DrillReport:
    known_gap = request.node.get_closest_marker("xfail") is not None
    return DrillReport(request.node.name.removeprefix("test_"), known_gap)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if LONG_DRILLS_WANTED:
        return
    long_ones = [item for item in items if item.get_closest_marker("long_drill")]
    if long_ones:
        config.hook.pytest_deselected(items=long_ones)
        items[:] = [item for item in items if item not in long_ones]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not figures:
        return
    terminalreporter.section("fault drills")
    for line in drill_table(figures):
        terminalreporter.write_line(line)
    if not LONG_DRILLS_WANTED:
        terminalreporter.write_line("(quick drills only; `make drills` runs them all)")


@pytest.fixture
def registered(database_url: str) -> str:
    """A fresh database with the drills' devices; a drill with other devices overrides this."""
    register_containers(database_url)
    return database_url


@pytest.fixture
def ingest(registered: str, mosquitto_url: str) -> Iterator[IngestService]:
    """The real ingest on Mosquitto, started once the devices are registered."""
    service = start_ingest(registered, mosquitto_url)
    yield service
    service.stop()
