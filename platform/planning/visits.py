"""Home-care visit requests: kept for the record, and when one falls due within a night shift
at a patient whose home is known, handed to the night nurses as an urgent task."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row

from tilsyn.platform.config import Settings
from tilsyn.platform.planning.night_status import NIGHT_TASK_COLUMNS, NightTaskOut, night_task_out
from tilsyn.platform.planning.night_store import NewTask, Shift


@dataclass(frozen=True)
class Visit:
    visit_id: int
    patient_id: str
    reason: str
    requested_by: str
    requested_at: datetime
    due_by: datetime
    state: str
    task_id: str | None
    night_task: NightTaskOut | None = None  # when the night shift took the visit on


_SELECT = f"""SELECT v.visit_id, v.patient_id, v.reason, v.requested_by, v.requested_at,
    v.due_by, v.state, t.task_id, {NIGHT_TASK_COLUMNS}
    FROM visit_requests v LEFT JOIN night_tasks t USING (visit_id)"""


class KeyReused(ValueError):
    """A request key sent again with another patient or reason: a client fault, never a repeat."""


def record_visit(
    conn: psycopg.Connection,
    patient_id: str,
    reason: str,
    due_by: datetime,
    by: str,
    request_key: str | None = None,
) -> tuple[int, bool]:
    """(visit id, whether it is new). A key the carer sent before gives the visit it made."""
    row = conn.execute(
        "INSERT INTO visit_requests (patient_id, reason, requested_by, due_by, request_key)"
        " VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (requested_by, request_key) WHERE request_key IS NOT NULL DO NOTHING"
        " RETURNING visit_id",
        (patient_id, reason, by, due_by, request_key),
    ).fetchone()
    if row is not None:
        return int(row[0]), True
    # The unique index made this insert wait for the first one to commit, so it is there.
    earlier = conn.execute(
        "SELECT visit_id, patient_id, reason FROM visit_requests"
        " WHERE requested_by = %s AND request_key = %s",
        (by, request_key),
    ).fetchone()
    assert earlier is not None
    if (earlier[1], earlier[2]) != (patient_id, reason):
        raise KeyReused(f"request key {request_key} was sent before for another visit")
    return int(earlier[0]), False


def get_visit(conn: psycopg.Connection, visit_id: int) -> Visit:
    with conn.cursor(row_factory=dict_row) as cur:
        found = cur.execute(f"{_SELECT} WHERE v.visit_id = %s", (visit_id,)).fetchone()
    if found is None:
        raise LookupError(f"no visit {visit_id}")
    return _visit(found)


def patient_visits(conn: psycopg.Connection, patient_id: str) -> list[Visit]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"{_SELECT} WHERE v.patient_id = %s ORDER BY v.requested_at DESC, v.visit_id DESC",
            (patient_id,),
        ).fetchall()
    return [_visit(row) for row in rows]


def _visit(row: dict[str, Any]) -> Visit:
    own = {f.name: row[f.name] for f in fields(Visit) if f.name != "night_task"}
    return Visit(**own, night_task=night_task_out(row))


def shift_for_visit(conn: psycopg.Connection, now: datetime, due_by: datetime) -> Shift | None:
    """The night shift the visit falls due in, if it has not ended: a visit due after the
    shift ends is left to the day team."""
    with conn.cursor(row_factory=class_row(Shift)) as cur:
        return cur.execute(
            "SELECT shift_id, name, starts_at, ends_at, revision FROM night_shifts"
            " WHERE starts_at <= %s AND %s < ends_at AND %s < ends_at"
            " ORDER BY starts_at, shift_id LIMIT 1",
            (due_by, due_by, now),
        ).fetchone()


def visit_task(
    conn: psycopg.Connection, visit_id: int, shift: Shift, now: datetime, settings: Settings
) -> NewTask | None:
    """The night task for a visit, or None when the patient's home is not known."""
    row = conn.execute(
        "SELECT v.patient_id, v.reason, v.due_by, p.address, p.latitude, p.longitude"
        " FROM visit_requests v JOIN patients p USING (patient_id) WHERE v.visit_id = %s",
        (visit_id,),
    ).fetchone()
    if row is None or row[4] is None:
        return None
    patient_id, reason, due_by, address, lat, lon = row
    opens = max(now, shift.starts_at)
    return NewTask(
        task_id=f"visit-{visit_id}",
        location_name=address or patient_id,
        address=address or "",
        latitude=lat,
        longitude=lon,
        window_start=opens,
        window_end=max(opens, due_by - timedelta(minutes=settings.night_urgent_service_minutes)),
        service_s=settings.night_urgent_service_minutes * 60,
        reason=f"Visit: {reason}",
        source="visit",
        priority="urgent",
        urgent=True,
        patient_id=patient_id,
        visit_id=visit_id,
    )
