"""When patients do their tasks: scheduled measurement sessions, adherence and timing.

Tasks of a plan that fall at the same local time form one session. A patient does a whole
session or skips it (adherence), and starts it a little before or, more often, after the
reminder; each measurement in a session takes about a minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tilsyn.sim.clock import LocalCalendar, weekday_of_day
from tilsyn.sim.scenario.specs_care import MeasurementPlan, PatientSpec, QuestionnairePlan
from tilsyn.sim.seeding import python_stream

DELAY_MEDIAN_S, DELAY_LOG_SD, EARLY_S = 900.0, 0.8, 600.0


@dataclass(frozen=True, slots=True)
class Session:
    patient: PatientSpec
    scheduled: float
    performed_at: float | None  # None: skipped
    measurements: tuple[MeasurementPlan, ...]
    questionnaires: tuple[QuestionnairePlan, ...]


def sessions_on(
    patient: PatientSpec, day: int, calendar: LocalCalendar, seed: int
) -> list[Session]:
    """The patient's sessions on a local day, in time order."""
    weekday = int(weekday_of_day(day))
    by_hour: dict[float, tuple[list[MeasurementPlan], list[QuestionnairePlan]]] = {}
    for plan in patient.measurements:
        if weekday in plan.schedule.weekdays:
            for hour in plan.schedule.hours():
                by_hour.setdefault(hour, ([], []))[0].append(plan)
    for questionnaire in patient.questionnaires:
        if weekday in questionnaire.schedule.weekdays:
            for hour in questionnaire.schedule.hours():
                by_hour.setdefault(hour, ([], []))[1].append(questionnaire)
    rng = python_stream(seed, "sessions", patient.patient_id, day)
    found = []
    for hour in sorted(by_hour):
        scheduled = calendar.at_local(day, hour)
        done = rng.random() < patient.adherence
        delay = DELAY_MEDIAN_S * math.exp(rng.gauss(0.0, DELAY_LOG_SD)) - EARLY_S
        measurements, questionnaires = by_hour[hour]
        found.append(
            Session(
                patient,
                scheduled,
                scheduled + delay if done else None,
                tuple(measurements),
                tuple(questionnaires),
            )
        )
    return found
