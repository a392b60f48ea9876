"""The fault drills' table at the end of a run: each drill's figures travel on its test report,
so they reach this process from pytest-xdist's workers too. A plugin of the root conftest, since
the process that prints never loads `tests/drills/conftest.py` when workers run the tests."""

from __future__ import annotations

import pytest
from drill_figures import LONG_DRILLS_WANTED, DrillFigures, drill_table, figures_of

figures: list[DrillFigures] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        figures.extend(figures_of(report.user_properties))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not figures:
        return
    terminalreporter.section("fault drills")
    for line in drill_table(sorted(figures, key=lambda f: f.drill)):
        terminalreporter.write_line(line)
    if not LONG_DRILLS_WANTED:
        terminalreporter.write_line("(quick drills only; `make drills` runs them all)")
