"""The night-nurse problem ("nurse on wheels"): who visits which task, in what order, when.

Times are integer seconds from the request's `origin` (usually the start of the night shift),
so a shift that crosses midnight needs no special case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tilsyn.routing.bounds import (
    STRICT_FIELDS,
    require_night_size,
    require_one_place_per_id,
    require_time,
    require_unique,
)
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
    __pydantic_config__ = STRICT_FIELDS

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
        require_time(f"task {self.id} service", self.service)
        require_time(f"task {self.id} window", self.earliest)
        require_time(f"task {self.id} window", self.latest)
        if self.earliest > self.latest:
            raise ValueError(f"task {self.id}: window opens after it closes")


@dataclass(frozen=True)
class Nurse:
    __pydantic_config__ = STRICT_FIELDS

    id: str
    base: Location
    competence: Competence
    shift_start: int
    shift_end: int

    def __post_init__(self) -> None:
        # The solver's clock starts at the origin: a shift cannot begin before it.
        require_time(f"nurse {self.id} shift", self.shift_start, lowest=0)
        require_time(f"nurse {self.id} shift", self.shift_end, lowest=0)
        if self.shift_start >= self.shift_end:
            raise ValueError(f"nurse {self.id}: shift ends before it starts")

    def can_do(self, task: NurseTask) -> bool:
        return self.competence.rank >= task.requires.rank


@dataclass(frozen=True)
class NightPlanRequest:
    __pydantic_config__ = STRICT_FIELDS

    origin: datetime
    nurses: tuple[Nurse, ...]
    tasks: tuple[NurseTask, ...]

    def __post_init__(self) -> None:
        if not self.nurses:
            raise ValueError("a night plan needs at least one nurse")
        require_night_size(len(self.tasks))
        require_unique("nurse", [n.id for n in self.nurses])
        require_unique("task", [t.id for t in self.tasks])
        require_one_place_per_id(
            [*(n.base for n in self.nurses), *(t.location for t in self.tasks)]
        )

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

    __pydantic_config__ = STRICT_FIELDS

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
        require_time(f"nurse {self.nurse_id} free at", self.free_at)
        for eta in self.etas:
            require_time(f"nurse {self.nurse_id} ETA", eta)
        require_unique(f"nurse {self.nurse_id} promised task", list(self.promised))


@dataclass(frozen=True)
class LiveNight:
    """Mid-shift state: the plan as promised, what is done, and tasks that arrived since."""

    __pydantic_config__ = STRICT_FIELDS

    request: NightPlanRequest
    now: int
    on_road: tuple[NurseOnRoad, ...]
    completed: frozenset[str] = field(default_factory=frozenset)
    urgent: tuple[NurseTask, ...] = ()

    def __post_init__(self) -> None:
        require_time("now", self.now)
        if not self.on_road:
            raise ValueError("a live night needs at least one nurse on the road")
        known = {n.id for n in self.request.nurses}
        for state in self.on_road:
            if state.nurse_id not in known:
                raise ValueError(f"unknown nurse {state.nurse_id!r} on the road")
        require_unique("nurse on the road", [s.nurse_id for s in self.on_road])
        tasks = [t.id for t in (*self.request.tasks, *self.urgent)]
        require_unique("task", tasks)
        require_night_size(len(tasks))
        promised = [task for state in self.on_road for task in state.promised]
        require_unique("promised task (each to one nurse)", promised)
        unknown = sorted(set(promised) - set(tasks) - self.completed)
        if unknown:
            raise ValueError(f"promised tasks that are not in the night: {unknown}")
        require_one_place_per_id(
            [
                *(n.base for n in self.request.nurses),
                *(t.location for t in (*self.request.tasks, *self.urgent)),
                *(s.position for s in self.on_road),
            ]
        )
