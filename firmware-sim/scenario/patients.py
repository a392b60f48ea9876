"""Generating followed patients: conditions, personal baselines, thresholds and plans.

Shared by home follow-up (one hub per home) and night nursing (one hub per care location).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tilsyn.sim.scenario.specs_care import (
    EpisodeParams,
    MeasurementPlan,
    PatientSpec,
    QuestionnairePlan,
    QuestionSpec,
    RiseRule,
    Schedule,
    Thresholds,
    Variation,
)

BP_PARTS = ("systolic", "diastolic")


@dataclass(frozen=True, slots=True)
class Home:
    """Where a patient lives and which hub publishes for them."""

    hub_id: str
    unit: str
    lat: float
    lon: float
    location_id: str | None = None


def draw_conditions(rng: random.Random, prevalence: Mapping[str, float]) -> tuple[str, ...]:
    chosen = tuple(c for c, p in prevalence.items() if rng.random() < float(p))
    if chosen:
        return chosen
    names = list(prevalence)
    return (rng.choices(names, weights=[float(prevalence[n]) for n in names])[0],)


def draw_baseline(
    rng: random.Random, table: Mapping[str, Any], conditions: Sequence[str]
) -> dict[str, float]:
    baseline = {}
    for quantity, spec in table.items():
        shift = sum(float(spec.get("by_condition", {}).get(c, 0.0)) for c in conditions)
        baseline[quantity] = round(rng.gauss(float(spec["mean"]) + shift, float(spec["sd"])), 1)
    baseline["spo2"] = min(baseline.get("spo2", 97.0), 99.0)
    return baseline


def _thresholds(baseline: float, offsets: Mapping[str, float]) -> Thresholds:
    bounds = {side: round(baseline + float(offset), 1) for side, offset in offsets.items()}
    return Thresholds(**bounds)


def thresholds_for(kind: str, baseline: Mapping[str, float], table: Mapping[str, Any]) -> Any:
    """Per-component thresholds of one measurement kind, from the personal baseline."""
    parts = BP_PARTS if kind == "blood_pressure" else (kind,)
    return {
        ("value" if part == kind else part): _thresholds(baseline[part], table[part])
        for part in parts
    }


def _rise(params: Mapping[str, Any], kind: str) -> RiseRule | None:
    raw = params.get("rise", {}).get(kind)
    if raw is None:
        return None
    return RiseRule(float(raw["window_days"]), float(raw["yellow"]), float(raw["red"]))


def plans_for(
    conditions: Sequence[str], baseline: Mapping[str, float], hub_id: str, params: Mapping[str, Any]
) -> tuple[tuple[MeasurementPlan, ...], tuple[QuestionnairePlan, ...]]:
    """The union of the conditions' plans; the first condition listed wins a shared kind."""
    measurements: dict[str, MeasurementPlan] = {}
    questionnaires: dict[str, QuestionnairePlan] = {}
    for condition in conditions:
        plan = params["plans"][condition]
        for raw in plan.get("measurements", []):
            kind = str(raw["kind"])
            if kind not in measurements:
                measurements[kind] = MeasurementPlan(
                    kind=kind,
                    schedule=_schedule(raw),
                    thresholds=thresholds_for(kind, baseline, params["thresholds"]),
                    device_id=f"{hub_id}-{raw['device']}",
                    rise=_rise(params, kind),
                )
        for raw in plan.get("questionnaires", []):
            name = str(raw["questionnaire"])
            questionnaires.setdefault(name, QuestionnairePlan(name, _schedule(raw)))
    return tuple(measurements.values()), tuple(questionnaires.values())


def _schedule(raw: Mapping[str, Any]) -> Schedule:
    weekdays = tuple(int(d) for d in raw.get("weekdays", range(7)))
    return Schedule(tuple(str(t) for t in raw["times"]), weekdays)


def draw_adherence(rng: random.Random, spec: Mapping[str, float]) -> float:
    value = rng.gauss(float(spec["mean"]), float(spec["sd"]))
    return round(min(float(spec["max"]), max(float(spec["min"]), value)), 3)


def make_patient(
    rng: random.Random, patient_id: str, home: Home, params: Mapping[str, Any]
) -> PatientSpec:
    conditions = draw_conditions(rng, params["cohort"]["conditions"])
    baseline = draw_baseline(rng, params["baselines"], conditions)
    measurements, questionnaires = plans_for(conditions, baseline, home.hub_id, params)
    return PatientSpec(
        patient_id=patient_id,
        hub_id=home.hub_id,
        unit=home.unit,
        conditions=conditions,
        baseline=baseline,
        measurements=measurements,
        questionnaires=questionnaires,
        adherence=draw_adherence(rng, params["cohort"]["adherence"]),
        lat=round(home.lat, 6),
        lon=round(home.lon, 6),
        location_id=home.location_id,
    )


def episode_params(params: Mapping[str, Any]) -> dict[str, EpisodeParams]:
    return {
        kind: EpisodeParams(
            kind=kind,
            conditions=tuple(str(c) for c in raw["conditions"]),
            rate_per_year=float(raw["rate_per_year"]),
            ramp_days=float(raw["ramp_days"]),
            plateau_days=float(raw["plateau_days"]),
            recovery_days=float(raw["recovery_days"]),
            shift={str(k): float(v) for k, v in raw["shift"].items()},
            questions=tuple(str(q) for q in raw.get("questions", [])),
        )
        for kind, raw in params.get("episodes", {}).items()
    }


def variation(params: Mapping[str, Any]) -> dict[str, Variation]:
    return {
        quantity: Variation(float(raw["day"]), float(raw["noise"]), int(raw["decimals"]))
        for quantity, raw in params["variation"].items()
    }


def questionnaire_items(params: Mapping[str, Any]) -> dict[str, tuple[QuestionSpec, ...]]:
    return {
        name: tuple(
            QuestionSpec(link_id, None if options == "bool" else tuple(options))
            for link_id, options in items.items()
        )
        for name, items in params.get("questionnaires", {}).items()
    }
