"""The `trondheim-night` scenario: units, care locations, the night team and its tasks."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tilsyn.sim.scenario import geo
from tilsyn.sim.scenario.patients import (
    Home,
    episode_params,
    make_patient,
    questionnaire_items,
    variation,
)
from tilsyn.sim.scenario.specs_care import (
    HubSpec,
    LocationSpec,
    NightTaskSpec,
    NurseSpec,
    PatientSpec,
    UnitSpec,
)
from tilsyn.sim.seeding import python_stream, substream


@dataclass(frozen=True)
class NightTaskGenerator:
    """Planned nurse-only tasks of a night, drawn per location from the scenario's rates;
    the same seed and night always give the same tasks."""

    seed: int
    timezone: str
    shift_start: str
    shift_end: str
    locations: tuple[LocationSpec, ...]
    kinds: Mapping[str, Mapping[str, float]]

    def _shift(self, night: date) -> tuple[float, float]:
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(night, time.fromisoformat(self.shift_start), zone)
        end = datetime.combine(night + timedelta(days=1), time.fromisoformat(self.shift_end), zone)
        return start.timestamp(), end.timestamp()

    def tasks(self, night: date) -> tuple[NightTaskSpec, ...]:
        rng = substream(self.seed, "night-tasks", night.isoformat())
        start, end = self._shift(night)
        found: list[NightTaskSpec] = []
        for location in self.locations:
            for kind, spec in self.kinds.items():
                window = float(spec["window_hours"]) * 3600
                for _ in range(int(rng.poisson(float(spec["per_location"])))):
                    earliest = start + float(rng.uniform(0, max(0.0, end - start - window)))
                    found.append(
                        NightTaskSpec(
                            task_id=f"{location.location_id}-{night:%Y%m%d}-{len(found) + 1:03d}",
                            location_id=location.location_id,
                            kind=kind,
                            earliest=earliest,
                            latest=earliest + window,
                            duration_min=float(spec["duration_min"]),
                            priority=int(spec["priority"]),
                        )
                    )
        return tuple(sorted(found, key=lambda task: task.earliest))


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    shares = [total // parts] * parts
    for index in rng.sample(range(parts), total % parts):
        shares[index] += 1
    return shares


def _locations(
    rng: random.Random, params: Mapping[str, Any], units: Sequence[UnitSpec]
) -> list[LocationSpec]:
    area, prefix = params["area"], str(params["area"]["id_prefix"])
    per_unit = int(area["locations_per_unit"])
    kinds: list[Literal["nursing_home", "care_home"]] = [
        "nursing_home" if rng.random() < float(area["nursing_home_share"]) else "care_home"
        for _ in range(per_unit * len(units))
    ]
    residents = {
        kind: iter(_split(int(area["residents"][kind]), kinds.count(kind), rng))
        for kind in ("nursing_home", "care_home")
    }
    found = []
    for n, kind in enumerate(kinds):
        unit = units[n // per_unit]
        r, angle = float(area["spread_m"]) * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat, lon = geo.offset(unit.lat, unit.lon, r * math.cos(angle), r * math.sin(angle))
        location_id = f"{prefix}-loc-{n + 1:02d}"
        label = "sykehjem" if kind == "nursing_home" else "bofellesskap"
        found.append(
            LocationSpec(
                location_id=location_id,
                unit_id=unit.unit_id,
                name=f"{unit.name} {label} {n % per_unit + 1}",
                kind=kind,
                lat=round(lat, 6),
                lon=round(lon, 6),
                residents=next(residents[kind]),
                hub_id=f"{prefix}-hub-{n + 1:02d}",
            )
        )
    return found


def _residents(
    rng: random.Random, params: Mapping[str, Any], locations: Sequence[LocationSpec]
) -> tuple[list[PatientSpec], list[HubSpec]]:
    low, high = (int(v) for v in params["area"]["monitored_per_location"])
    patients: list[PatientSpec] = []
    hubs: list[HubSpec] = []
    for location in locations:
        home = Home(
            location.hub_id, location.unit_id, location.lat, location.lon, location.location_id
        )
        members = []
        for _ in range(min(location.residents, rng.randint(low, high))):
            patient_id = f"{params['area']['id_prefix']}-p{len(patients) + 1:03d}"
            patients.append(make_patient(rng, patient_id, home, params))
            members.append(patient_id)
        hub = params["hub"]
        hubs.append(
            HubSpec(
                location.hub_id,
                location.unit_id,
                tuple(members),
                float(hub["outages_per_day"]),
                float(hub["outage_median_minutes"]),
            )
        )
    return patients, hubs


def build_trondheim(seed: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's fields (see `Scenario`) for the night-nursing kind of scenario file."""
    rng = python_stream(seed, str(params["name"]), "layout")
    prefix = str(params["area"]["id_prefix"])
    units = tuple(
        UnitSpec(
            f"{prefix}-unit-{n + 1}", str(u["name"]), float(u["centre"][0]), float(u["centre"][1])
        )
        for n, u in enumerate(params["units"])
    )
    locations = _locations(rng, params, units)
    patients, hubs = _residents(rng, params, locations)
    team = params["nurses"]
    base_lat, base_lon = (float(v) for v in team["base"])
    nurses = tuple(
        NurseSpec(
            f"{prefix}-nurse-{n + 1}",
            base_lat,
            base_lon,
            str(team["shift_start"]),
            str(team["shift_end"]),
        )
        for n in range(int(team["count"]))
    )
    tasks = NightTaskGenerator(
        seed,
        str(params["timezone"]),
        str(team["shift_start"]),
        str(team["shift_end"]),
        tuple(locations),
        {kind: dict(spec) for kind, spec in params["night_tasks"].items()},
    )
    return {
        "units": units,
        "locations": tuple(locations),
        "nurses": nurses,
        "night_tasks": tasks,
        "patients": tuple(patients),
        "hubs": tuple(hubs),
        "episodes": episode_params(params),
        "variation": variation(params),
        "questionnaire_items": questionnaire_items(params),
    }
