"""The package's public names resolve, and importing it (as `tilsyn --help` does) stays light."""

import subprocess
import sys

import pytest

import tilsyn.routing as routing


def test_every_public_name_resolves():
    for name in routing.__all__:
        assert getattr(routing, name) is not None, name


def test_importing_the_package_does_not_load_ortools():
    probe = "import sys, tilsyn.routing, tilsyn.routing.cli; print('ortools' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_stop_budget_shrinks():
    assert routing.Stop(2.0, solutions=5).within(0.5) == routing.Stop(0.5, solutions=5)


@pytest.mark.parametrize(
    "bad", [{"seconds": 0}, {"seconds": 1, "solutions": 0}, {"seconds": float("inf")}]
)
def test_stop_refuses_budgets_that_never_or_always_end(bad):
    with pytest.raises(ValueError):
        routing.Stop(**bad)
