"""Synthetic but realistic instances for benchmarks and demos, reproducible from a seed.

`trondheim_night` follows the Trondheim "nurse on wheels" case (DOMAIN.md §1): one team of two
nurses covers six units with eight locations each during the night, doing only tasks that
need a registered nurse, plus some a care assistant may do.
"""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from tilsyn.routing.geo import Location
from tilsyn.routing.nurse import Competence, NightPlanRequest, Nurse, NurseTask, Priority

TRONDHEIM_CENTRE = (63.4305, 10.3951)
NIGHT_HOURS = 9  # 22:00 to 07:00
UNITS = 6
LOCATIONS_PER_UNIT = 8


def trondheim_units(rng: random.Random) -> list[list[Location]]:
    """Six units within ~6 km of the centre, each with eight locations within ~300 m."""
    units = []
    for u in range(UNITS):
        lat = TRONDHEIM_CENTRE[0] + rng.uniform(-0.045, 0.045)
        lon = TRONDHEIM_CENTRE[1] + rng.uniform(-0.11, 0.11)
        units.append(
            [
                Location(
                    f"unit{u + 1}-{k + 1}",
                    lat + rng.uniform(-0.0025, 0.0025),
                    lon + rng.uniform(-0.005, 0.005),
                )
                for k in range(LOCATIONS_PER_UNIT)
            ]
        )
    return units


def trondheim_night(seed: int = 1, tasks: int = 60) -> NightPlanRequest:
    rng = random.Random(seed)
    origin = datetime(2025, 1, 15, 22, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    locations = [loc for unit in trondheim_units(rng) for loc in unit]
    base = Location("base", TRONDHEIM_CENTRE[0], TRONDHEIM_CENTRE[1])
    end = NIGHT_HOURS * 3600
    nurses = (
        Nurse("nurse-a", base, Competence.REGISTERED_NURSE, 0, end),
        Nurse("nurse-b", base, Competence.REGISTERED_NURSE, 0, end),
    )
    return NightPlanRequest(origin, nurses, tuple(_task(rng, i, locations) for i in range(tasks)))


def _task(rng: random.Random, number: int, locations: list[Location]) -> NurseTask:
    width = rng.choice((3600, 2 * 3600, 4 * 3600))
    earliest = rng.randrange(0, NIGHT_HOURS * 3600 - width, 300)
    return NurseTask(
        id=f"task-{number + 1:03d}",
        location=rng.choice(locations),
        earliest=earliest,
        latest=earliest + width,
        service=rng.choice((300, 600, 900, 1200)),
        priority=rng.choices(list(Priority)[:3], weights=(1, 6, 3))[0],
        requires=rng.choices(list(Competence), weights=(1, 4))[0],
        reason=rng.choice(("medication", "wound care", "catheter", "insulin", "assessment")),
    )


def urgent_task(seed: int, request: NightPlanRequest, now: int) -> NurseTask:
    """An alert-driven task: somewhere in one of the units, to be seen within the hour."""
    rng = random.Random(seed)
    location = rng.choice([t.location for t in request.tasks])
    return NurseTask(
        id=f"urgent-{seed}",
        location=location,
        earliest=now,
        latest=now + 3600,
        service=900,
        priority=Priority.URGENT,
        requires=Competence.REGISTERED_NURSE,
        reason="alert: NEWS2 5",
    )
