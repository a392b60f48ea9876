"""The night-nurse problem ("nurse on wheels"): who visits which task, in what order, when.

Times are integer seconds from the request's `origin` (usually the start of the night shift),
so a shift that crosses midnight needs no special case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tilsyn.routing.geo import Location


class Competence(StrEnum):
    """Ranked: a registered nurse may do everything a care assistant may do, not the reverse."""

    CARE_ASSISTANT = "care_assistant"
    REGISTERED_NURSE = "registered_nurse"

    @property
    def rank(self) -> int:
        return list(Competence).index(self)


class Priority(StrEnum):
    """How bad it is to leave a task undone tonight. Each level outweighs any number of the
    levels below it when the planner must choose (see `nurse_model.drop_penalty`)."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return list(Priority).index(self)


@dataclass(frozen=True)
class NurseTask:
    id: str
    location: Location
    earliest: int
    latest: int
    service: int
    priority: Priority = Priority.NORMAL
    requires: Competence = Competence.REGISTERED_NURSE
    reason: str = ""

    def __post_init__(self) -> None:
        if self.service < 0:
            raise ValueError(f"task {self.id}: negative service time")
        if self.earliest > self.latest:
            raise ValueError(f"task {self.id}: window opens after it closes")


@dataclass(frozen=True)
class Nurse:
    id: str
    base: Location
    competence: Competence
    shift_start: int
    shift_end: int

    def __post_init__(self) -> None:
        if self.shift_start >= self.shift_end:
            raise ValueError(f"nurse {self.id}: shift ends before it starts")

    def can_do(self, task: NurseTask) -> bool:
        return self.competence.rank >= task.requires.rank


@dataclass(frozen=True)
class NightPlanRequest:
    origin: datetime
    nurses: tuple[Nurse, ...]
    tasks: tuple[NurseTask, ...]

    def __post_init__(self) -> None:
        if not self.nurses:
            raise ValueError("a night plan needs at least one nurse")
        _require_unique("nurse", [n.id for n in self.nurses])
        _require_unique("task", [t.id for t in self.tasks])

    def task(self, task_id: str) -> NurseTask:
        return next(t for t in self.tasks if t.id == task_id)


@dataclass(frozen=True)
class NurseOnRoad:
    """Where a nurse is during the shift, and what they have been promised so far.

    `position` is where the nurse will next be free (their current stop, or the car's position),
    `free_at` when. `promised` is what they still have to do, in order, with the ETAs given out
    (`etas`, same order, optional). `locked` is its fixed prefix (e.g. the stop they are driving
    to): it stays first and in order. The rest is kept where possible.
    """

    nurse_id: str
    position: Location
    free_at: int
    promised: tuple[str, ...] = ()
    etas: tuple[int, ...] = ()
    locked: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.locked <= len(self.promised):
            raise ValueError(f"nurse {self.nurse_id}: locked prefix longer than the promise")
        if self.etas and len(self.etas) != len(self.promised):
            raise ValueError(f"nurse {self.nurse_id}: one ETA per promised task, or none")


@dataclass(frozen=True)
class LiveNight:
    """Mid-shift state: the plan as promised, what is done, and tasks that arrived since."""

    request: NightPlanRequest
    now: int
    on_road: tuple[NurseOnRoad, ...]
    completed: frozenset[str] = field(default_factory=frozenset)
    urgent: tuple[NurseTask, ...] = ()

    def __post_init__(self) -> None:
        known = {n.id for n in self.request.nurses}
        for state in self.on_road:
            if state.nurse_id not in known:
                raise ValueError(f"unknown nurse {state.nurse_id!r} on the road")
        _require_unique("task", [t.id for t in (*self.request.tasks, *self.urgent)])


def _require_unique(kind: str, ids: list[str]) -> None:
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate {kind} ids: {duplicates}")
