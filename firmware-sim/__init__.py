"""Firmware simulation: device models, physics and scenarios that stand in for real fleets.

    scenario = load_scenario("herning", seed=7)
    sim = Simulation(scenario)                      # ChirpStack v4 envelopes by default
    for emission in sim.run(duration=timedelta(days=30)):
        ...                                         # Emission(at, topic, payload, qos)

`run_realtime(sim, publish, speed, stop)` plays the same emissions against a broker.
"""

from tilsyn.sim.emission import Emission
from tilsyn.sim.faults import FAULT_KINDS, Fault
from tilsyn.sim.realtime import run_realtime
from tilsyn.sim.scenario import Scenario, load_scenario, scenario_names
from tilsyn.sim.simulation import Simulation

__all__ = [
    "FAULT_KINDS",
    "Emission",
    "Fault",
    "Scenario",
    "Simulation",
    "load_scenario",
    "run_realtime",
    "scenario_names",
]
