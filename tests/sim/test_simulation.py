"""The operator's side of a simulation: emptying a container, and the ground truth."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fix_sim import payload, run_days, small_town, ups

from tilsyn.codecs import decode
from tilsyn.sim import Simulation


def test_an_ordered_emptying_shows_in_the_truth_and_in_the_next_reports():
    scenario = small_town(9)
    sim = Simulation(scenario)
    run_days(sim, 2)
    fill = sim.true_fill()
    fullest = max(fill, key=fill.get)
    spec = scenario.container(fullest)
    assert fill[fullest] > 0.3
    sim.empty_container(fullest, sim.now)
    assert sim.true_fill(sim.now + timedelta(minutes=1))[fullest] < 0.02
    later = [e for e in ups(run_days(sim, 0.5)) if e["deviceInfo"]["devEui"] == spec.dev_eui]
    distances = [decode(spec.codec, payload(e))["distance_mm"] for e in later]
    assert distances and min(distances) > spec.empty_distance_mm - 60
    # the reading matches the truth, as far as an ultrasonic sensor can tell
    truth = sim.true_fill()[fullest]
    span = spec.empty_distance_mm - spec.full_distance_mm
    reported = (spec.empty_distance_mm - distances[-1]) / span
    assert reported == pytest.approx(truth, abs=0.05)


def test_without_trucks_containers_overflow():
    scenario = small_town(9)
    sim = Simulation(scenario, collection="none")
    run_days(sim, 10)
    assert sim.overflowing()
    assert max(sim.true_fill().values()) == 1.0
    with pytest.raises(ValueError):
        sim.run(start=scenario.default_start)  # time only moves forward
