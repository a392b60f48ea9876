"""Scenarios as data: TOML files with visible parameters, loaded into typed registry records."""

from tilsyn.sim.scenario.loader import load_scenario, scenario_names
from tilsyn.sim.scenario.model import Scenario

__all__ = ["Scenario", "load_scenario", "scenario_names"]
