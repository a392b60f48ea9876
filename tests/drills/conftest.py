"""Fault drills: each reports what it sent, stored and lost and how long recovery took, and the
session ends with one table of them all (`fix_drills`).

The quick drills run in every test run; the long ones only with TILSYN_DRILLS=all (`make drills`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the drills' helpers (importlib mode)

from drill_figures import LONG_DRILLS_WANTED, DrillReport
from drill_uplinks import register_containers, start_ingest

from tilsyn.platform.ingest.service import IngestService


@pytest.fixture
def drill_report(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> DrillReport:
    known_gap = request.node.get_closest_marker("xfail") is not None
    return DrillReport(request.node.name.removeprefix("test_"), record_property, known_gap)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if LONG_DRILLS_WANTED:
        return
    long_ones = [item for item in items if item.get_closest_marker("long_drill")]
    if long_ones:
        config.hook.pytest_deselected(items=long_ones)
        items[:] = [item for item in items if item not in long_ones]


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
