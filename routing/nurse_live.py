"""Mid-shift state from the plan the nurses are following, and a plan to start re-planning from.

Without live GPS the plan itself says where everyone is: a visit that has started counts as
done (a nurse is not pulled out of a patient's home), a nurse between two visits is already
driving to the next one, which is therefore locked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tilsyn.routing.geo import Location
from tilsyn.routing.nurse import LiveNight, NightPlanRequest, NurseOnRoad, NurseTask
from tilsyn.routing.nurse_model import NurseStart
from tilsyn.routing.plans import Plan
from tilsyn.routing.timeline import earliest_start
from tilsyn.routing.travel import TravelMatrix


def live_from_plan(
    request: NightPlanRequest,
    plan: Plan,
    now: int,
    urgent: Sequence[NurseTask] = (),
    completed: frozenset[str] = frozenset(),
) -> LiveNight:
    """The state at `now` if everyone followed `plan` to the minute."""
    places = {t.id: t.location for t in request.tasks}
    on_road, done = [], set(completed)
    for route in plan.routes:
        started = [v for v in route.visits if v.start <= now]
        ahead = [v for v in route.visits if v.start > now]
        done |= {v.id for v in started}
        nurse = next(n for n in request.nurses if n.id == route.vehicle_id)
        position: Location = places[started[-1].id] if started else nurse.base
        free_at = max(now, started[-1].departure if started else route.departure)
        driving = bool(ahead) and now > (started[-1].departure if started else route.departure)
        on_road.append(
            NurseOnRoad(
                nurse_id=route.vehicle_id,
                position=position,
                free_at=free_at,
                promised=tuple(v.id for v in ahead),
                etas=tuple(v.arrival for v in ahead),
                locked=1 if driving else 0,
            )
        )
    return LiveNight(request, now, tuple(on_road), frozenset(done), tuple(urgent))


def keepable_promises(
    starts: Sequence[NurseStart], tasks: Mapping[str, NurseTask], matrix: TravelMatrix
) -> list[list[str]]:
    """Each nurse's promised sequence minus the tasks that no longer fit where they are.

    Walks the promise in order and skips a task the nurse can no longer reach in its window,
    then trims the tail until the nurse is home by the end of shift. The result is a valid
    starting solution; what was skipped is re-inserted (or reported) by the search.
    """
    kept = []
    for start in starts:
        here, clock, route = matrix.index(start.position.id), start.free_at, []
        for task_id in start.promised:
            task = tasks[task_id]
            there = matrix.index(task.location.id)
            begin = earliest_start(
                clock + matrix.seconds[here][there], ((task.earliest, task.latest),)
            )
            if begin is None:
                continue
            route.append((task_id, begin + task.service, there))
            here, clock = there, begin + task.service
        kept.append(_home_in_time(route, start, matrix))
    return kept


def _home_in_time(
    route: list[tuple[str, int, int]], start: NurseStart, matrix: TravelMatrix
) -> list[str]:
    home = matrix.index(start.nurse.base.id)
    while route and route[-1][1] + matrix.seconds[route[-1][2]][home] > start.nurse.shift_end:
        route.pop()
    return [task_id for task_id, _, _ in route]
