"""A shift as the solver sees it: the request, the live state mid-shift, and the plan back
as assignments of tasks to nurses.

Times are seconds from the start of the shift. Without GPS, where a nurse is mid-shift comes
from her phone's presses and the plan in force (`night_whereabouts`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tilsyn.platform.planning.night_store import Assignment, NightTask, Shift, ShiftNurse
from tilsyn.platform.planning.night_whereabouts import DriveSeconds, whereabouts
from tilsyn.routing.geo import Location
from tilsyn.routing.nurse import (
    Competence,
    LiveNight,
    NightPlanRequest,
    Nurse,
    NurseOnRoad,
    NurseTask,
    Priority,
)
from tilsyn.routing.plans import Plan


def seconds_into(shift: Shift, at: datetime) -> int:
    return round((at - shift.starts_at).total_seconds())


def task_location(task: NightTask) -> Location:
    return Location(f"task:{task.task_id}", task.latitude, task.longitude)


def base_location(nurse: ShiftNurse) -> Location:
    return Location(f"base:{nurse.username}", nurse.base_lat, nurse.base_lon)


def night_request(
    shift: Shift, nurses: list[ShiftNurse], tasks: list[NightTask], leave_at: int, zone: str
) -> NightPlanRequest:
    """Every nurse on the shift free from `leave_at` seconds into it; every task still to plan
    (not started, finished, cancelled, or taken by a nurse off the plan).

    The origin carries the local time zone, so the solver's explanations say local times."""
    end = seconds_into(shift, shift.ends_at)
    team = tuple(
        Nurse(n.username, base_location(n), Competence(n.competence), min(leave_at, end - 1), end)
        for n in nurses
    )
    jobs = tuple(
        NurseTask(
            id=t.task_id,
            location=task_location(t),
            earliest=_inside(shift, t.window_start, math.ceil),
            latest=max(
                _inside(shift, t.window_end, math.floor), _inside(shift, t.window_start, math.ceil)
            ),
            service=t.service_s,
            priority=Priority(t.priority),
            requires=Competence(t.competence),
            reason=t.reason,
        )
        for t in tasks
        if t.to_plan
    )
    return NightPlanRequest(shift.starts_at.astimezone(ZoneInfo(zone)), team, jobs)


def live_night(
    shift: Shift,
    request: NightPlanRequest,
    plan: Plan,
    tasks: list[NightTask],
    now: datetime,
    drive: DriveSeconds,
) -> LiveNight:
    """Mid-shift state: where each nurse will next be free and when (`night_whereabouts`), her
    promised stops as the plan in force orders them, minus what is no longer to plan (started,
    done, cancelled, taken), with the stop she is driving to locked first.

    A nurse on her way is going there whatever the clock says, so a locked stop's window is
    held open until she arrives: arriving late must not make the whole re-plan fail."""
    now_s = seconds_into(shift, now)
    finished = {t.task_id for t in tasks if t.finished}
    to_plan = {t.id for t in request.tasks}
    places = {t.task_id: task_location(t) for t in tasks}
    routes = {r.vehicle_id: r for r in plan.routes}
    on_road, held_open = [], {}
    for nurse in request.nurses:
        route = routes.get(nurse.id)
        ahead = [v for v in (route.visits if route else ()) if v.id in to_plan]
        hers = [t for t in tasks if t.nurse == nurse.id and (t.finished or t.taken)]
        where = whereabouts(
            nurse, hers, ahead, places, now_s, lambda at: seconds_into(shift, at), drive
        )
        if where.locked_arrival is not None:
            held_open[ahead[0].id] = where.locked_arrival
        on_road.append(
            NurseOnRoad(
                nurse_id=nurse.id,
                position=where.position,
                free_at=where.free_at,
                promised=tuple(v.id for v in ahead),
                etas=tuple(v.arrival for v in ahead),
                locked=0 if where.locked_arrival is None else 1,
            )
        )
    held = tuple(
        replace(t, latest=max(t.latest, held_open[t.id])) if t.id in held_open else t
        for t in request.tasks
    )
    return LiveNight(replace(request, tasks=held), now_s, tuple(on_road), frozenset(finished))


def assignments(shift: Shift, request: NightPlanRequest, plan: Plan) -> list[Assignment]:
    """Where the plan puts each task it was given (the ETA is when the visit can begin);
    a task it leaves out keeps the reason."""
    placed = [
        Assignment(visit.id, route.vehicle_id, order, _at(shift, visit.start), None)
        for route in plan.routes
        for order, visit in enumerate(route.visits, start=1)
    ]
    reasons = {d.id: d.reason for d in plan.dropped}
    on_routes = {a.task_id for a in placed}
    problem = "; ".join(plan.problems) or "not planned"
    left_out = [
        Assignment(t.id, None, None, None, reasons.get(t.id, problem))
        for t in request.tasks
        if t.id not in on_routes
    ]
    return placed + left_out


def _inside(shift: Shift, at: datetime, rounding: Callable[[float], int]) -> int:
    """Whole seconds, rounded so that a time planned on them stays inside the window."""
    return rounding((at - shift.starts_at).total_seconds())


def _at(shift: Shift, seconds: int) -> datetime:
    return shift.starts_at + timedelta(seconds=seconds)
