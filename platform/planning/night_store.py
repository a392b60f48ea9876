"""Night shifts, their nurses and tasks, and the plans made for them, in the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from tilsyn.routing.nurse import Competence

TaskState = Literal["planned", "acknowledged", "started", "done", "cancelled"]
Action = Literal["acknowledge", "start", "done"]
# Which states each action may leave from, and where it leads.
TRANSITIONS: dict[Action, tuple[tuple[TaskState, ...], TaskState]] = {
    "acknowledge": (("planned",), "acknowledged"),
    "start": (("planned", "acknowledged"), "started"),
    "done": (("started",), "done"),
}
STAMP = {"acknowledged": "acknowledged_at", "started": "started_at", "done": "done_at"}
# The start of the reason a task on no route carries when planning failed: the sweep retries it.
PLANNING_FAILED = "planning failed: "
# How long after her shift a nurse still on a visit she started keeps seeing that shift.
OVERRUN_GRACE = timedelta(hours=2)


@dataclass(frozen=True)
class Shift:
    shift_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    revision: int


@dataclass(frozen=True)
class ShiftNurse:
    username: str
    competence: str
    base_name: str
    base_lat: float
    base_lon: float


@dataclass(frozen=True)
class NightTask:
    task_id: str
    location_name: str
    address: str
    latitude: float
    longitude: float
    window_start: datetime
    window_end: datetime
    service_s: int
    priority: str
    competence: str
    reason: str
    urgent: bool
    source: str
    patient_id: str | None
    state: TaskState
    started_at: datetime | None
    done_at: datetime | None
    nurse: str | None
    route_order: int | None
    eta: datetime | None
    unplanned_reason: str | None
    cancel_reason: str | None = None
    alert_id: int | None = None

    @property
    def finished(self) -> bool:
        """Started counts as finished for planning: nobody is pulled out of a patient's home."""
        return self.state in ("started", "done")

    @property
    def taken(self) -> bool:
        """Acknowledged by a nurse while it was on no route (`take`): hers, whatever a plan
        would do with it, so the planner leaves it alone as it does a started one."""
        return self.state == "acknowledged" and self.nurse is not None and self.route_order is None

    @property
    def to_plan(self) -> bool:
        """Still for the planner to place: not started, finished, cancelled or taken."""
        return self.state in ("planned", "acknowledged") and not self.taken


@dataclass(frozen=True)
class NewTask:
    task_id: str
    location_name: str
    address: str
    latitude: float
    longitude: float
    window_start: datetime
    window_end: datetime
    service_s: int
    reason: str
    source: Literal["schedule", "alert", "visit"]
    priority: str = "normal"
    competence: str = "registered_nurse"
    urgent: bool = False
    patient_id: str | None = None
    alert_id: int | None = None
    visit_id: int | None = None


class TaskNotFound(LookupError):
    pass


class InvalidAction(ValueError):
    pass


def create_shift(
    conn: psycopg.Connection,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    nurses: list[ShiftNurse],
) -> int:
    row = conn.execute(
        "INSERT INTO night_shifts (name, starts_at, ends_at) VALUES (%s, %s, %s)"
        " RETURNING shift_id",
        (name, starts_at, ends_at),
    ).fetchone()
    assert row is not None
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO night_shift_nurses (shift_id, username, competence, base_name,"
            " base_lat, base_lon) VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (row[0], n.username, n.competence, n.base_name, n.base_lat, n.base_lon)
                for n in nurses
            ],
        )
    return int(row[0])


def add_task(conn: psycopg.Connection, shift_id: int, task: NewTask) -> bool:
    """False when the task is already there (the same alert or visit seen twice)."""
    row = conn.execute(
        """INSERT INTO night_tasks (task_id, shift_id, location_name, address, latitude,
               longitude, window_start, window_end, service_s, priority, competence, reason,
               urgent, source, patient_id, alert_id, visit_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT DO NOTHING RETURNING task_id""",
        (
            task.task_id,
            shift_id,
            task.location_name,
            task.address,
            task.latitude,
            task.longitude,
            task.window_start,
            task.window_end,
            task.service_s,
            task.priority,
            task.competence,
            task.reason,
            task.urgent,
            task.source,
            task.patient_id,
            task.alert_id,
            task.visit_id,
        ),
    ).fetchone()
    return row is not None


def active_shift(
    conn: psycopg.Connection, at: datetime, until: datetime | None = None
) -> Shift | None:
    """The shift running at `at`. Of overlapping ones (a handover), the one that started first
    among those still on duty at `until` (when an urgent task must have started); if none is,
    the one that runs longest."""
    until = until or at
    with conn.cursor(row_factory=class_row(Shift)) as cur:
        return cur.execute(
            "SELECT shift_id, name, starts_at, ends_at, revision FROM night_shifts"
            " WHERE starts_at <= %s AND %s < ends_at"
            " ORDER BY ends_at > %s DESC, CASE WHEN ends_at > %s THEN starts_at END,"
            " ends_at DESC, shift_id LIMIT 1",
            (at, at, until, until),
        ).fetchone()


def starting_shift(conn: psycopg.Connection, at: datetime, within: timedelta) -> Shift | None:
    """The first shift that starts after `at` but within `within` of it: alerts raised now
    are its work from its start (see `alert_tasks`)."""
    with conn.cursor(row_factory=class_row(Shift)) as cur:
        return cur.execute(
            "SELECT shift_id, name, starts_at, ends_at, revision FROM night_shifts"
            " WHERE %s < starts_at AND starts_at <= %s ORDER BY starts_at, shift_id LIMIT 1",
            (at, at + within),
        ).fetchone()


def shift_of_nurse(conn: psycopg.Connection, username: str, at: datetime) -> Shift | None:
    """The nurse's shift running at `at`, or else her next one; but first a shift that ended
    less than `OVERRUN_GRACE` ago while she is still on a visit she started: she must be able
    to see it and mark it done."""
    with conn.cursor(row_factory=class_row(Shift)) as cur:
        return cur.execute(
            "SELECT s.shift_id, s.name, s.starts_at, s.ends_at, s.revision FROM night_shifts s"
            " JOIN night_shift_nurses n USING (shift_id)"
            " WHERE n.username = %(nurse)s AND (%(at)s < s.ends_at"
            "  OR (%(at)s < s.ends_at + %(grace)s AND EXISTS (SELECT 1 FROM night_tasks t"
            "      WHERE t.shift_id = s.shift_id AND t.nurse = %(nurse)s"
            "        AND t.state = 'started')))"
            " ORDER BY s.starts_at LIMIT 1",
            {"nurse": username, "at": at, "grace": OVERRUN_GRACE},
        ).fetchone()


def get_shift(conn: psycopg.Connection, shift_id: int) -> Shift:
    with conn.cursor(row_factory=class_row(Shift)) as cur:
        found = cur.execute(
            "SELECT shift_id, name, starts_at, ends_at, revision FROM night_shifts"
            " WHERE shift_id = %s",
            (shift_id,),
        ).fetchone()
    if found is None:
        raise LookupError(f"no night shift {shift_id}")
    return found


def shift_nurses(conn: psycopg.Connection, shift_id: int) -> list[ShiftNurse]:
    with conn.cursor(row_factory=class_row(ShiftNurse)) as cur:
        return cur.execute(
            "SELECT username, competence, base_name, base_lat, base_lon FROM night_shift_nurses"
            " WHERE shift_id = %s ORDER BY username",
            (shift_id,),
        ).fetchall()


_TASK_COLUMNS = """task_id, location_name, address, latitude, longitude, window_start,
    window_end, service_s, priority, competence, reason, urgent, source, patient_id, state,
    started_at, done_at, nurse, route_order, eta, unplanned_reason, cancel_reason, alert_id"""


def shift_tasks(conn: psycopg.Connection, shift_id: int) -> list[NightTask]:
    with conn.cursor(row_factory=class_row(NightTask)) as cur:
        return cur.execute(
            f"SELECT {_TASK_COLUMNS} FROM night_tasks WHERE shift_id = %s ORDER BY task_id",
            (shift_id,),
        ).fetchall()


def task_shift(conn: psycopg.Connection, task_id: str) -> int:
    row = conn.execute("SELECT shift_id FROM night_tasks WHERE task_id = %s", (task_id,))
    found = row.fetchone()
    if found is None:
        raise TaskNotFound(f"no night task {task_id}")
    return int(found[0])


def change_state(conn: psycopg.Connection, task_id: str, action: Action, at: datetime) -> bool:
    """Move a task on, stamped `at` (never before its earlier steps, whatever a phone's clock
    says); False if it is already where the action leads: a phone that resends an action
    whose answer it never got changes nothing."""
    allowed_from, to = TRANSITIONS[action]
    row = conn.execute(
        "SELECT state FROM night_tasks WHERE task_id = %s FOR UPDATE", (task_id,)
    ).fetchone()
    if row is None:
        raise TaskNotFound(f"no night task {task_id}")
    if row[0] == to:
        return False
    if row[0] not in allowed_from:
        raise InvalidAction(f"task {task_id} is {row[0]}; cannot {action} it")
    conn.execute(
        f"UPDATE night_tasks SET state = %s,"
        f" {STAMP[to]} = greatest(%s, acknowledged_at, started_at) WHERE task_id = %s",
        (to, at, task_id),
    )
    if to == "done":
        conn.execute(
            "UPDATE visit_requests SET state = 'done' WHERE visit_id ="
            " (SELECT visit_id FROM night_tasks WHERE task_id = %s)",
            (task_id,),
        )
    return True


def require_competence(conn: psycopg.Connection, task_id: str, competence: str) -> None:
    """Starting or taking a task puts it on the nurse's route: one that needs a registered
    nurse is not a care assistant's to start or take (which tasks need one is why the night
    team is planned)."""
    row = conn.execute(
        "SELECT competence FROM night_tasks WHERE task_id = %s", (task_id,)
    ).fetchone()
    if row is None:
        raise TaskNotFound(f"no night task {task_id}")
    needed, held = Competence(row[0]), Competence(competence)
    if held.rank < needed.rank:
        raise InvalidAction(
            f"task {task_id} needs a {needed.value.replace('_', ' ')}; you are on shift as a "
            f"{held.value.replace('_', ' ')}"
        )


def require_own(conn: psycopg.Connection, task_id: str, action: Action, username: str) -> None:
    """A nurse acts on the tasks of her own route. She may acknowledge one of hers or one on
    nobody's route (she takes it: see `take`), start any not yet started (she takes it over:
    see `claim`), and finish only one she started. A task on another nurse's route, or in
    another nurse's hands, is not hers to acknowledge or finish, whatever her phone sends.

    The row stays locked to the end of the transaction, so two nurses cannot both take it."""
    row = conn.execute(
        "SELECT nurse, state FROM night_tasks WHERE task_id = %s FOR UPDATE", (task_id,)
    ).fetchone()
    if row is None:
        raise TaskNotFound(f"no night task {task_id}")
    nurse, state = row
    if nurse is None or nurse == username:
        return
    if action == "start" and state in ("planned", "acknowledged"):
        return
    if state == "acknowledged":
        raise InvalidAction(f"task {task_id} is taken: {nurse} has acknowledged it")
    raise InvalidAction(f"task {task_id} is on {nurse}'s route; it is not yours to {action}")


def claim(conn: psycopg.Connection, task_id: str, username: str) -> None:
    """The nurse who starts a task is where it is: it is on her route from now on."""
    conn.execute(
        "UPDATE night_tasks SET nurse = %s, unplanned_reason = NULL WHERE task_id = %s",
        (username, task_id),
    )


def take(conn: psycopg.Connection, task_id: str, username: str) -> bool:
    """The nurse who acknowledges a task on no route has taken it: hers, off the planner's
    hands (see `NightTask.taken`); the other nurses' phones no longer offer it. False when
    it already has a nurse."""
    row = conn.execute(
        "UPDATE night_tasks SET nurse = %s, route_order = NULL, eta = NULL,"
        " unplanned_reason = NULL WHERE task_id = %s AND nurse IS NULL RETURNING task_id",
        (username, task_id),
    ).fetchone()
    return row is not None


def cancel_resolved_alert_tasks(conn: psycopg.Connection, shift_id: int, at: datetime) -> list[str]:
    """Tasks of the shift not yet started whose alert a person has resolved (a false alarm,
    or the day team saw to it) are cancelled, saying who; returns their ids. An alert the
    rules cleared (one reading back in range) keeps its visit: a nurse still goes to see."""
    rows = conn.execute(
        """UPDATE night_tasks t SET state = 'cancelled', cancelled_at = %s,
               cancel_reason = 'alert resolved by ' || a.resolved_by
           FROM alerts a
           WHERE a.alert_id = t.alert_id AND a.state = 'resolved' AND t.shift_id = %s
             AND a.resolved_by IS NOT NULL AND a.resolved_by <> 'rule'
             AND t.state IN ('planned', 'acknowledged')
           RETURNING t.task_id""",
        (at, shift_id),
    ).fetchall()
    return sorted(row[0] for row in rows)


def needs_planning(conn: psycopg.Connection, shift_id: int) -> bool:
    """Whether the shift has a task for the planner that no plan has placed or explained:
    one added when planning failed, or before the shift's first plan."""
    row = conn.execute(
        "SELECT 1 FROM night_tasks WHERE shift_id = %s AND nurse IS NULL"
        " AND state IN ('planned', 'acknowledged')"
        " AND (unplanned_reason IS NULL OR starts_with(unplanned_reason, %s)) LIMIT 1",
        (shift_id, PLANNING_FAILED),
    ).fetchone()
    return row is not None


def say_planning_failed(conn: psycopg.Connection, shift_id: int, why: str) -> int:
    """Tasks on no route and without a reason say that planning failed and will be retried,
    instead of waiting silently; returns how many."""
    reason = f"{PLANNING_FAILED}{why}; retrying"
    return conn.execute(
        "UPDATE night_tasks SET unplanned_reason = %s WHERE shift_id = %s AND nurse IS NULL"
        " AND state IN ('planned', 'acknowledged')"
        " AND (unplanned_reason IS NULL OR starts_with(unplanned_reason, %s))",
        (reason, shift_id, PLANNING_FAILED),
    ).rowcount


def bump_revision(conn: psycopg.Connection, shift_id: int) -> int:
    row = conn.execute(
        "UPDATE night_shifts SET revision = revision + 1 WHERE shift_id = %s RETURNING revision",
        (shift_id,),
    ).fetchone()
    assert row is not None
    return int(row[0])


# Any constant that no other advisory lock of this database uses; the second key is the shift.
PLANNING_LOCK = 0x7469_6E70  # "tinp"


@contextmanager
def planning_turn(pool: ConnectionPool, shift_id: int) -> Iterator[None]:
    """Wait for every other process's re-plan of the shift to be stored, and hold the others
    off until this one is: a re-plan reads the night, solves, and stores over the plan in force,
    so two at once would store the slower over the quicker and lose what only it had seen.
    A transaction's lock, so a pooler in transaction mode keeps it on one backend."""
    with pool.connection() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (PLANNING_LOCK, shift_id))
        yield


def latest_plan(conn: psycopg.Connection, shift_id: int) -> tuple[int, Any] | None:
    """(version, plan as stored) of the plan in force, if any."""
    row = conn.execute(
        "SELECT version, plan FROM night_plans WHERE shift_id = %s ORDER BY version DESC LIMIT 1",
        (shift_id,),
    ).fetchone()
    return None if row is None else (int(row[0]), row[1])


@dataclass(frozen=True)
class Assignment:
    """Where the plan puts one task: a nurse's route and its place on it, or nowhere and why."""

    task_id: str
    nurse: str | None
    route_order: int | None
    eta: datetime | None
    unplanned_reason: str | None


def save_plan(
    conn: psycopg.Connection,
    shift_id: int,
    trigger: str,
    feasible: bool,
    plan: Any,
    assignments: list[Assignment],
) -> int:
    """Store a new plan version and write where it puts each task; returns the version."""
    row = conn.execute(
        """INSERT INTO night_plans (shift_id, version, trigger, feasible, plan)
           SELECT %s, coalesce(max(version), 0) + 1, %s, %s, %s FROM night_plans
           WHERE shift_id = %s RETURNING version""",
        (shift_id, trigger, feasible, Jsonb(plan), shift_id),
    ).fetchone()
    assert row is not None
    save_assignments(conn, assignments)
    return int(row[0])


def save_assignments(conn: psycopg.Connection, assignments: list[Assignment]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE night_tasks SET nurse = %s, route_order = %s, eta = %s,"
            " unplanned_reason = %s WHERE task_id = %s",
            [(a.nurse, a.route_order, a.eta, a.unplanned_reason, a.task_id) for a in assignments],
        )
