"""Home-care visit requests: `POST /api/patients/{id}/visits {reason, within_hours}`, and the
patient's requests. A request due within a night shift becomes an urgent night task.

A request may carry an `Idempotency-Key` header: sent again by the same carer with the same
patient and reason, it answers 200 with the visit the first one made (`already_requested`)
instead of asking for a second visit; with another patient or reason, 422."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from pydantic import BaseModel, Field, StringConstraints

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User, audit
from tilsyn.platform.planning.night_service import NightService
from tilsyn.platform.planning.night_status import NightTaskOut
from tilsyn.platform.planning.visits import (
    KeyReused,
    Visit,
    get_visit,
    patient_visits,
    record_visit,
    shift_for_visit,
    visit_task,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/patients", tags=["visits"])
Requester = Annotated[User, Depends(allowed("request_visits"))]
RequestKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$"),
]


class VisitIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    within_hours: float = Field(gt=0, le=24 * 14)


class VisitOut(BaseModel):
    visit_id: int
    patient_id: str
    reason: str
    due_by: datetime
    state: str
    requested_by: str
    requested_at: datetime
    task_id: str | None
    night_task: NightTaskOut | None = None
    already_requested: bool = False  # this request's key was sent before: no new visit


@router.post("/{patient_id}/visits", status_code=status.HTTP_201_CREATED)
def request_visit(
    patient_id: str,
    body: VisitIn,
    request: Request,
    response: Response,
    db: Db,
    user: Requester,
    request_key: RequestKey = None,
) -> VisitOut:
    _exists(db, patient_id)
    now = datetime.now(UTC)
    due_by = now + timedelta(hours=body.within_hours)
    try:
        visit_id, new = record_visit(
            db, patient_id, body.reason, due_by, user.username, request_key
        )
    except KeyReused as reused:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(reused)) from None
    audit(db, user, "request_visit", patient_id, {"visit_id": visit_id, "repeat": not new})
    if not new:
        db.commit()
        response.status_code = status.HTTP_200_OK
        return _out(get_visit(db, visit_id), already_requested=True)
    shift = shift_for_visit(db, now, due_by)
    task = (
        None if shift is None else visit_task(db, visit_id, shift, now, request.app.state.settings)
    )
    db.commit()  # the night service plans on its own connections
    if shift is not None and task is not None:
        night: NightService = request.app.state.night
        try:
            night.add_urgent(shift.shift_id, [task], now)
        except Exception:
            # Whatever failed (a rejected plan, a shift with no nurses yet, a solver error),
            # the request and its task are stored: the task says planning failed, and the
            # night service's sweep retries it within a minute.
            log.exception("visit %d: the task could not be planned", visit_id)
    return _out(get_visit(db, visit_id))


@router.get("/{patient_id}/visits")
def visits(patient_id: str, db: Db, user: Requester) -> list[VisitOut]:
    _exists(db, patient_id)
    audit(db, user, "read_visits", patient_id)
    return [_out(v) for v in patient_visits(db, patient_id)]


def _out(visit: Visit, already_requested: bool = False) -> VisitOut:
    return VisitOut(
        visit_id=visit.visit_id,
        patient_id=visit.patient_id,
        reason=visit.reason,
        due_by=visit.due_by,
        state=visit.state,
        requested_by=visit.requested_by,
        requested_at=visit.requested_at,
        task_id=visit.task_id,
        night_task=visit.night_task,
        already_requested=already_requested,
    )


def _exists(db: Db, patient_id: str) -> None:
    if db.execute("SELECT 1 FROM patients WHERE patient_id = %s", (patient_id,)).fetchone() is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no patient {patient_id}")
