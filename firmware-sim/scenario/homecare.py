"""The `vaaler-home` scenario: patients at home, each with a hub, spread over a municipality."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tilsyn.sim.scenario import geo
from tilsyn.sim.scenario.patients import (
    Home,
    episode_params,
    make_patient,
    questionnaire_items,
    variation,
)
from tilsyn.sim.scenario.specs_care import HubSpec, UnitSpec
from tilsyn.sim.seeding import python_stream


def build_homecare(seed: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's fields (see `Scenario`) for the homecare kind of scenario file."""
    rng = python_stream(seed, str(params["name"]), "patients")
    area = params["area"]
    lat0, lon0 = (float(v) for v in area["centre"])
    unit_names = [str(u) for u in area["units"]]
    prefix = str(area["id_prefix"])
    units = tuple(
        UnitSpec(name, name, *geo.offset(lat0, lon0, 0.0, 2000.0 * (1 - 2 * n)))
        for n, name in enumerate(unit_names)
    )
    patients, hubs = [], []
    for number in range(1, int(params["cohort"]["patients"]) + 1):
        r = float(area["radius_m"]) * math.sqrt(rng.random())
        angle = rng.uniform(0, 2 * math.pi)
        lat, lon = geo.offset(lat0, lon0, r * math.cos(angle), r * math.sin(angle))
        unit = unit_names[0] if lat >= lat0 else unit_names[-1]
        home = Home(f"{prefix}-hub-{number:03d}", unit, lat, lon)
        patient = make_patient(rng, f"{prefix}-p{number:03d}", home, params)
        patients.append(patient)
        hubs.append(
            HubSpec(
                hub_id=home.hub_id,
                unit=unit,
                patient_ids=(patient.patient_id,),
                outages_per_day=float(params["hub"]["outages_per_day"]),
                outage_median_minutes=float(params["hub"]["outage_median_minutes"]),
            )
        )
    return {
        "patients": tuple(patients),
        "hubs": tuple(hubs),
        "units": units,
        "episodes": episode_params(params),
        "variation": variation(params),
        "questionnaire_items": questionnaire_items(params),
    }
