"""Where a night nurse is mid-shift, read from what her phone has reported and the plan in force.

There is no GPS: a nurse is at the visit she last started, until its service time is up; after
a visit she finished (or at base before her first), she stays put until she has to leave to
reach her next stop at its planned time, and from then on she is on the road to it. Her car is
put that far along the way, so the stop's ETA counts the driving already done, and she is not
turned around: that stop stays first on her route (the locked prefix), unless her shift ends
before she could see to it. A task
she took off the planner's hands (acknowledged while on no route) is where she goes next: she
is free again only after it, so the ETAs of her later stops include the detour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tilsyn.platform.planning.night_store import NightTask
from tilsyn.routing.geo import Location
from tilsyn.routing.nurse import Nurse
from tilsyn.routing.plans import Visit

# Driving seconds between two places, as the planner's travel model says.
DriveSeconds = Callable[[Location, Location], int]


@dataclass(frozen=True)
class Whereabouts:
    """Where the nurse will next be free (`position`, possibly a point on the road) and when;
    `locked_arrival`, when she is driving to her next promised stop (which therefore stays
    first), is when she gets there."""

    position: Location
    free_at: int
    locked_arrival: int | None = None


def whereabouts(
    nurse: Nurse,
    her_tasks: Sequence[NightTask],
    ahead: Sequence[Visit],
    places: dict[str, Location],
    now: int,
    seconds_of: Callable[[datetime], int],
    drive: DriveSeconds,
) -> Whereabouts:
    """`her_tasks`: the tasks of the shift she has started, finished or taken; `ahead`: her
    promised stops in the plan in force's order (with its planned times); `seconds_of` turns a
    time into seconds into the shift."""
    last = _last_begun(her_tasks)
    if last is None:
        place, free_at = nurse.base, now
        left_at = _leaves_for(ahead, place, places, drive)
    elif last.state == "started" and last.started_at is not None:
        place = places[last.task_id]
        free_at = max(now, seconds_of(last.started_at) + last.service_s)
        left_at = None  # still in the patient's home
    else:
        place, free_at = places[last.task_id], now
        done_at = seconds_of(last.done_at) if last.done_at is not None else now
        left_at = max(done_at, _leaves_for(ahead, place, places, drive) or done_at)
    taken = sorted((t for t in her_tasks if t.taken), key=lambda t: (t.window_start, t.task_id))
    if taken:
        return _after_detour(taken, place, free_at, places, now, seconds_of, drive)
    if left_at is None or left_at > now or not ahead:
        return Whereabouts(place, free_at)
    stop = ahead[0]
    car = _on_the_road(nurse.id, place, places[stop.id], left_at, now, drive)
    arrival = now + drive(car, places[stop.id])
    if arrival + stop.departure - stop.start > nurse.shift_end:
        return Whereabouts(car, now)  # her shift is over before she could see to it
    return Whereabouts(car, now, arrival)


def _last_begun(her_tasks: Sequence[NightTask]) -> NightTask | None:
    begun = [t for t in her_tasks if t.finished and t.started_at is not None]
    return max(begun, key=lambda t: t.started_at or datetime.min, default=None)


def _leaves_for(
    ahead: Sequence[Visit], place: Location, places: dict[str, Location], drive: DriveSeconds
) -> int | None:
    """When she must leave `place` to begin her next stop at its planned time."""
    if not ahead:
        return None
    return ahead[0].start - drive(place, places[ahead[0].id])


def _after_detour(
    taken: Sequence[NightTask],
    place: Location,
    free_at: int,
    places: dict[str, Location],
    now: int,
    seconds_of: Callable[[datetime], int],
    drive: DriveSeconds,
) -> Whereabouts:
    """She sees to what she took first, in window order, each as soon as she can get there."""
    for task in taken:
        there = places[task.task_id]
        arrival = max(now, free_at + drive(place, there))
        free_at = max(arrival, seconds_of(task.window_start)) + task.service_s
        place = there
    return Whereabouts(place, free_at)


def _on_the_road(
    nurse_id: str, start: Location, stop: Location, left_at: int, now: int, drive: DriveSeconds
) -> Location:
    """The car's position: the share of the drive already done, along the straight line."""
    seconds = drive(start, stop)
    done = 1.0 if seconds <= 0 else min(1.0, (now - left_at) / seconds)
    return Location(
        f"car:{nurse_id}",
        start.lat + (stop.lat - start.lat) * done,
        start.lon + (stop.lon - start.lon) * done,
    )
