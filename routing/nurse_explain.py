"""Why a night task cannot be served: said in words a coordinator can act on.

Checked before solving (so impossible tasks never reach the solver) and again for anything the
solver leaves out, which then can only be a matter of room in the night.
"""

from __future__ import annotations

from datetime import datetime

from tilsyn.routing.clock import clock
from tilsyn.routing.nurse import Competence, NurseTask
from tilsyn.routing.nurse_model import NurseStart
from tilsyn.routing.travel import TravelMatrix


def why_impossible(
    task: NurseTask, starts: tuple[NurseStart, ...], matrix: TravelMatrix, origin: datetime
) -> str | None:
    """A reason no nurse could do `task` even with nothing else to do, or None if one could."""
    able = [s for s in starts if s.nurse.can_do(task)]
    if not able:
        needed = "a registered nurse" if task.requires is Competence.REGISTERED_NURSE else "staff"
        return f"needs {needed}, and no one on shift has that competence"
    arrivals = [_earliest_arrival(s, task, matrix) for s in able]
    soonest = min(arrivals)
    if soonest > task.latest:
        return (
            f"window closes at {clock(origin, task.latest)}, but the first competent nurse "
            f"can be there at {clock(origin, soonest)} at the earliest"
        )
    if all(_cannot_get_home(s, task, matrix, a) for s, a in zip(able, arrivals, strict=True)):
        return "done in its window, it would keep every competent nurse past the end of shift"
    return None


def why_left_out(task: NurseTask, origin: datetime) -> str:
    """For a task the solver dropped although it is possible on its own."""
    window = f"{clock(origin, task.earliest)}-{clock(origin, task.latest)}"
    return (
        f"no room found: in its window {window} the competent nurses' time is taken by other "
        f"tasks (this one is {task.priority} priority)"
    )


def _earliest_arrival(start: NurseStart, task: NurseTask, matrix: TravelMatrix) -> int:
    here = matrix.index(start.position.id)
    there = matrix.index(task.location.id)
    return start.free_at + matrix.seconds[here][there]


def _cannot_get_home(
    start: NurseStart, task: NurseTask, matrix: TravelMatrix, arrival: int
) -> bool:
    there = matrix.index(task.location.id)
    home = matrix.index(start.nurse.base.id)
    done = max(arrival, task.earliest) + task.service
    return done + matrix.seconds[there][home] > start.nurse.shift_end
