"""The starting point for a re-plan: the promises that still fit, with urgent tasks forced in.

Local search alone cannot insert an urgent task when that means giving up several promised
tasks whose windows chain behind it: no single move gets there. So the urgent task is placed
first, by trying every competent nurse and position and keeping the one that gives up the
least (by priority, then extra driving); the tasks it pushes out are left for the search to
re-insert elsewhere, or to report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tilsyn.routing.nurse import NurseTask, Priority
from tilsyn.routing.nurse_model import NurseStart
from tilsyn.routing.timeline import earliest_start
from tilsyn.routing.travel import TravelMatrix


def starting_routes(
    starts: Sequence[NurseStart], tasks: Mapping[str, NurseTask], matrix: TravelMatrix
) -> list[list[str]]:
    """Each nurse's promise minus what no longer fits, then every urgent task not yet on a
    route inserted where it costs least."""
    routes = [walk(s, list(s.promised), tasks, matrix)[0] for s in starts]
    placed = {t for route in routes for t in route}
    for task in tasks.values():
        if task.priority is Priority.URGENT and task.id not in placed:
            routes = _force_in(task, starts, routes, tasks, matrix)
    return routes


def walk(
    start: NurseStart, sequence: list[str], tasks: Mapping[str, NurseTask], matrix: TravelMatrix
) -> tuple[list[str], int]:
    """Follow `sequence`, skipping any task the nurse would reach after its window, and trim
    the tail until the nurse is home by the end of shift. Returns what is kept and the
    seconds driven."""
    here, clock, kept, driven = matrix.index(start.position.id), start.free_at, [], 0
    for task_id in sequence:
        task = tasks[task_id]
        there = matrix.index(task.location.id)
        begin = earliest_start(clock + matrix.seconds[here][there], ((task.earliest, task.latest),))
        if begin is None:
            continue
        kept.append((task_id, begin + task.service, there, driven + matrix.seconds[here][there]))
        here, clock, driven = there, begin + task.service, kept[-1][3]
    home = matrix.index(start.nurse.base.id)
    while kept and kept[-1][1] + matrix.seconds[kept[-1][2]][home] > start.nurse.shift_end:
        kept.pop()
    last = kept[-1] if kept else None
    total = last[3] + matrix.seconds[last[2]][home] if last else 0
    return [task_id for task_id, _, _, _ in kept], total


def _force_in(
    task: NurseTask,
    starts: Sequence[NurseStart],
    routes: list[list[str]],
    tasks: Mapping[str, NurseTask],
    matrix: TravelMatrix,
) -> list[list[str]]:
    best: tuple[tuple[int, ...], int] | None = None
    choice = routes
    for v, start in enumerate(starts):
        if not start.nurse.can_do(task):
            continue
        for position in range(start.locked, len(routes[v]) + 1):
            trial = [*routes[v][:position], task.id, *routes[v][position:]]
            kept, driven = walk(start, trial, tasks, matrix)
            if task.id not in kept:
                continue
            score = (_given_up(set(routes[v]) - set(kept), tasks), driven)
            if best is None or score < best:
                best, choice = score, [kept if i == v else r for i, r in enumerate(routes)]
    return choice


def _given_up(ids: set[str], tasks: Mapping[str, NurseTask]) -> tuple[int, ...]:
    """Tasks given up, counted per priority from the highest down (compared in that order)."""
    return tuple(sum(tasks[i].priority is p for i in ids) for p in reversed(Priority))
