"""Mid-shift state from the plan the nurses are following.

Without live GPS the plan itself says where everyone is: a visit that has started counts as
done (a nurse is not pulled out of a patient's home), a nurse between two visits is already
driving to the next one, which is therefore locked. With GPS and check-ins, build `LiveNight`
directly from what the phones report.
"""

from __future__ import annotations

from collections.abc import Sequence

from tilsyn.routing.geo import Location
from tilsyn.routing.nurse import LiveNight, NightPlanRequest, NurseOnRoad, NurseTask
from tilsyn.routing.plans import Plan


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
