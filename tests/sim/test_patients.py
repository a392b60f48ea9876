"""Home follow-up: episodes move the vitals the way the scenario says, and adherence below
one leaves measurements missing. Everything is read back from the FHIR the hubs publish."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

import numpy as np
import pytest

from tilsyn.codecs.fhir import parse_observation, parse_questionnaire_response
from tilsyn.sim import Simulation, load_scenario

DAY = timedelta(days=1)
STEADY = {
    "cohort": {"adherence": {"mean": 1.0, "sd": 0.0, "min": 1.0, "max": 1.0}},
    "hub": {"outages_per_day": 0.0},
    "episodes": {
        kind: {"rate_per_year": 0.0}
        for kind in ("copd_exacerbation", "heart_failure_decompensation", "infection")
    },
}


def _published(emissions):
    """Observations and questionnaire answers per patient, from the hubs' envelopes."""
    observations, answers = defaultdict(list), defaultdict(list)
    for emission in emissions:
        for entry in json.loads(emission.payload)["entries"]:
            if entry["resourceType"] == "Observation":
                observation = parse_observation(entry)
                observations[observation.patient_id].append(observation)
            else:
                response = parse_questionnaire_response(entry)
                answers[response.patient_id].append(response)
    return observations, answers


@pytest.fixture(scope="module")
def episodes_run():
    scenario = load_scenario("vaaler-home", 6, STEADY)
    copd = [p for p in scenario.patients if "copd" in p.conditions]
    heart = next(p for p in scenario.patients if p.conditions[0] == "heart_failure")
    start = scenario.default_start  # Monday
    onsets = {
        "copd": start + 3 * DAY,
        "heart": start + 3 * DAY - timedelta(hours=2),  # before that morning's weighing
        "infection": start + 2 * DAY,  # Wednesday: Thursday's thermometer catches the fever
    }
    sim = Simulation(scenario)
    sim.run(duration=timedelta(0))
    sim.start_episode(copd[0].patient_id, "copd_exacerbation", onsets["copd"])
    sim.start_episode(heart.patient_id, "heart_failure_decompensation", onsets["heart"])
    sim.start_episode(copd[1].patient_id, "infection", onsets["infection"])
    published = _published(sim.run(duration=14 * DAY))
    patients = {"copd": copd[0], "heart": heart, "infection": copd[1]}
    return scenario, sim, patients, onsets, published


def _values(observations, kind, start, end, part="value"):
    return [o.values[part] for o in observations if o.kind == kind and start <= o.effective < end]


def test_copd_exacerbation_lowers_spo2_and_raises_the_pulse(episodes_run):
    scenario, _, patients, onsets, (observations, answers) = episodes_run
    mine, onset = observations[patients["copd"].patient_id], onsets["copd"]
    shift = scenario.episodes["copd_exacerbation"].shift
    before = (onset - 3 * DAY, onset)
    peak = (onset + 2 * DAY, onset + 6 * DAY)  # after the ramp, during the plateau
    spo2_drop = np.mean(_values(mine, "spo2", *before)) - np.mean(_values(mine, "spo2", *peak))
    pulse_rise = np.mean(_values(mine, "heart_rate", *peak)) - np.mean(
        _values(mine, "heart_rate", *before)
    )
    assert spo2_drop == pytest.approx(-shift["spo2"], abs=2.0)
    assert pulse_rise == pytest.approx(shift["heart_rate"], abs=6.0)
    worse = [
        a.answers["breathlessness"] != "same"
        for a in answers[patients["copd"].patient_id]
        if peak[0] <= a.authored < peak[1]
    ]
    assert sum(worse) >= 0.6 * len(worse) > 0


def test_heart_failure_puts_on_two_kilos_in_three_days(episodes_run):
    _, sim, patients, onsets, (observations, _) = episodes_run
    patient, onset = patients["heart"], onsets["heart"]
    body = sim.hubs.body
    modelled = body.expected(patient, "body_weight", (onset + 3 * DAY).timestamp())
    assert modelled - body.expected(patient, "body_weight", onset.timestamp()) >= 2.0
    mine = observations[patient.patient_id]
    usual = np.mean(_values(mine, "body_weight", onset - 3 * DAY, onset))
    heavy = np.mean(_values(mine, "body_weight", onset + 3 * DAY, onset + 5 * DAY))
    assert heavy - usual >= 1.8


def test_infection_brings_fever(episodes_run):
    _, _, patients, onsets, (observations, _) = episodes_run
    mine, onset = observations[patients["infection"].patient_id], onsets["infection"]
    fever = _values(mine, "body_temperature", onset + timedelta(hours=18), onset + 3 * DAY)
    normal = _values(mine, "body_temperature", onset - 3 * DAY, onset)
    assert fever and min(fever) >= 38.0
    assert normal and max(normal) < 37.5


def test_patients_without_episodes_stay_near_their_baseline(episodes_run):
    scenario, _, patients, _, (observations, _) = episodes_run
    ill = {p.patient_id for p in patients.values()}
    for patient in scenario.patients:
        if patient.patient_id in ill:
            continue
        for observation in observations[patient.patient_id]:
            for part, value in observation.values.items():
                quantity = observation.kind if part == "value" else part
                spread = scenario.variation[quantity]
                sd = (spread.day**2 + spread.noise**2) ** 0.5
                assert abs(value - patient.baseline[quantity]) < 5 * sd + 0.5


def test_adherence_below_one_leaves_measurements_missing():
    lazy = {"cohort": {"adherence": {"mean": 0.6, "sd": 0.0, "min": 0.6, "max": 0.6}}}
    scenario = load_scenario("vaaler-home", 8, lazy)
    sim = Simulation(scenario)
    observations, _ = _published(sim.run(duration=20 * DAY))
    scheduled = sum(len(s.measurements) for s in sim.hubs.sessions)
    published = sum(len(found) for found in observations.values())
    assert published / scheduled == pytest.approx(0.6, abs=0.05)
    done = [s.performed_at is not None for s in sim.hubs.sessions]
    assert np.mean(done) == pytest.approx(0.6, abs=0.04)
