"""Registering a simulated scenario's devices as a municipality or hospital would: containers,
wards with their zones, dispensers and badges, patients with their thresholds and
measurement schedules, the colours of their questionnaires' answers, and their home hubs.

Whatever is registered already is left as it is, so a second demo run keeps its data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import psycopg

from tilsyn.platform.clinical.answers import QuestionColours, QuestionnaireColours
from tilsyn.platform.clinical.plan import Threshold
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import register_container
from tilsyn.platform.patients.questionnaires import save_colours
from tilsyn.platform.patients.schedules import ScheduledTask, save_schedule
from tilsyn.platform.patients.thresholds import save_threshold
from tilsyn.platform.registry.models import BadgeIn, DispenserIn, HubIn, PatientIn, WardIn, ZoneIn
from tilsyn.platform.registry.store import (
    register_badge,
    register_dispenser,
    register_hub,
    register_patient,
    register_ward,
)
from tilsyn.sim.scenario.model import Scenario
from tilsyn.sim.scenario.specs_care import PatientSpec, QuestionSpec, Schedule, Variation
from tilsyn.sim.scenario.specs_waste import ContainerSpec

CONTAINER_FIELDS = (
    "container_id",
    "dev_eui",
    "codec",
    "waste_kind",
    "capacity_litres",
    "empty_distance_mm",
    "full_distance_mm",
    "reporting_interval_s",
)


def register_containers(conn: psycopg.Connection, specs: tuple[ContainerSpec, ...]) -> None:
    known = _ids(conn, "SELECT container_id FROM containers")
    for spec in specs:
        if spec.container_id not in known:
            fields = {name: getattr(spec, name) for name in CONTAINER_FIELDS}
            register_container(conn, ContainerIn(**fields, latitude=spec.lat, longitude=spec.lon))


def register_hospital(conn: psycopg.Connection, scenario: Scenario) -> None:
    """The scenario's wards with their zones, and every dispenser and badge on them."""
    known_wards = _ids(conn, "SELECT ward_id FROM wards")
    for ward in scenario.wards:
        if ward.ward_id in known_wards:
            continue
        zones = [
            ZoneIn(zone_id=z.zone_id, room_id=z.room_id, zone_type=z.zone_type, name=z.name)
            for z in scenario.zones
            if z.ward == ward.ward_id
        ]
        register_ward(
            conn, WardIn(ward_id=ward.ward_id, name=ward.name, hospital=ward.hospital, zones=zones)
        )
    known_devices = _ids(conn, "SELECT device_id FROM devices")
    for d in scenario.dispensers:
        if d.dev_eui.lower() not in known_devices:
            dispenser = DispenserIn(
                dev_eui=d.dev_eui,
                ward_id=d.ward,
                dispenser_id=d.dispenser_id,
                zone_id=d.zone_id,
                room_id=d.room_id,
                reporting_interval_s=d.reporting_interval_s,
            )
            register_dispenser(conn, dispenser)
    for b in scenario.badges:
        if b.dev_eui.lower() not in known_devices:
            register_badge(conn, BadgeIn(dev_eui=b.dev_eui, ward_id=b.ward, role=b.role))


def register_home_care(conn: psycopg.Connection, scenario: Scenario) -> None:
    """The scenario's patients (without a home on record: no night nurse drives to them), the
    thresholds and measurement schedule their care team set, the colours of the questionnaires
    they answer, and their hubs."""
    known_patients = _ids(conn, "SELECT patient_id FROM patients")
    for patient in scenario.patients:
        if patient.patient_id not in known_patients:
            register_patient(conn, PatientIn(patient_id=patient.patient_id, unit=patient.unit))
            for threshold in enrolment_thresholds(patient, scenario.variation):
                save_threshold(conn, patient.patient_id, threshold, "enrolment", replace=False)
            save_schedule(conn, patient.patient_id, enrolment_schedule(patient))
    for name, items in scenario.questionnaire_items.items():
        save_colours(conn, enrolment_colours(name, items), "enrolment", replace=False)
    known_hubs = _ids(conn, "SELECT hub_id FROM hubs")
    for hub in scenario.hubs:
        if hub.hub_id not in known_hubs:
            register_hub(
                conn, HubIn(hub_id=hub.hub_id, unit=hub.unit, patient_ids=list(hub.patient_ids))
            )


def enrolment_thresholds(
    patient: PatientSpec, variation: Mapping[str, Variation]
) -> list[Threshold]:
    """The simulated patient's personal bounds as the platform keeps them; blood pressure per
    component. The plan's bounds belong to the worse colour (at or below a red bound is red),
    the platform's to the milder one (a value on a green limit is green), so each becomes the
    first value the device can report beyond it."""
    found = []
    for plan in patient.measurements:
        for part, bounds in plan.thresholds.items():
            kind = plan.kind if part == "value" else f"{part}_bp"
            quantity = plan.kind if part == "value" else part
            step = 10.0 ** -variation[quantity].decimals if quantity in variation else 0.1
            found.append(
                Threshold.model_validate(
                    {
                        "kind": kind,
                        "green_low": _above(bounds.yellow_low, step),
                        "green_high": _below(bounds.yellow_high, step),
                        "yellow_low": _above(bounds.red_low, step),
                        "yellow_high": _below(bounds.red_high, step),
                    }
                )
            )
    return found


def enrolment_schedule(patient: PatientSpec) -> list[ScheduledTask]:
    """The plan's measurement tasks and questionnaires, every day or on their weekdays (blood
    pressure is judged by its systolic value). Two plans of one kind (a daily and a weekly one)
    are left to the care team: a schedule holds one entry per kind."""
    kinds = [plan.kind for plan in patient.measurements]
    measurements = [
        ScheduledTask(
            kind="systolic_bp" if plan.kind == "blood_pressure" else plan.kind,
            times=list(plan.schedule.times),
            weekdays=_weekdays(plan.schedule),
        )
        for plan in patient.measurements
        if kinds.count(plan.kind) == 1
    ]
    questionnaires = [
        ScheduledTask(
            questionnaire=plan.questionnaire,
            times=list(plan.schedule.times),
            weekdays=_weekdays(plan.schedule),
        )
        for plan in patient.questionnaires
    ]
    return measurements + questionnaires


def _weekdays(schedule: Schedule) -> list[int]:
    # The scenario counts weekdays from Monday = 0, the schedule from Monday = 1.
    return [day + 1 for day in sorted(schedule.weekdays)]


def enrolment_colours(name: str, items: tuple[QuestionSpec, ...]) -> QuestionnaireColours:
    """The scenario lists each question's answers best first: the best is green, the worst red
    where there are three or more (two: yellow), those between yellow. Yes/no questions ask
    after a complaint, so yes is yellow."""
    questions = []
    for item in items:
        if item.options is None:
            questions.append(QuestionColours(link_id=item.link_id, green=[False], yellow=[True]))
            continue
        best, *rest = item.options
        worst = rest[-1:] if len(rest) >= 2 else []
        between = rest[:-1] if worst else rest
        questions.append(
            QuestionColours(link_id=item.link_id, green=[best], yellow=between, red=worst)
        )
    return QuestionnaireColours(questionnaire=name, questions=questions)


def _above(bound: float | None, step: float) -> float | None:
    """The least multiple of `step` strictly above `bound`."""
    return None if bound is None else round((math.floor(bound / step + 1e-9) + 1) * step, 6)


def _below(bound: float | None, step: float) -> float | None:
    """The greatest multiple of `step` strictly below `bound`."""
    return None if bound is None else round((math.ceil(bound / step - 1e-9) - 1) * step, 6)


def _ids(conn: psycopg.Connection, query: str) -> set[str]:
    return {str(row[0]) for row in conn.execute(query)}
