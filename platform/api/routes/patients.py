"""Home follow-up: the triage board, a patient's measurements and thresholds, NEWS2.

Every read of a patient's data is written to the audit log with who read it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field, ValidationError

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User, audit
from tilsyn.platform.clinical.answers import judge_answers
from tilsyn.platform.clinical.news2 import News2Score, score
from tilsyn.platform.clinical.plan import Colour, Kind, Threshold, require_red_limits
from tilsyn.platform.clinical.vitals import Vitals
from tilsyn.platform.patients.instructions import (
    Instructions,
    read_instructions,
    save_instructions,
)
from tilsyn.platform.patients.questionnaires import read_colours
from tilsyn.platform.patients.schedules import (
    ScheduledTask,
    check_one_entry_per_task,
    read_schedule,
    save_schedule,
)
from tilsyn.platform.patients.state import PatientSummary, triage_board
from tilsyn.platform.patients.thresholds import save_threshold
from tilsyn.platform.registry.models import Spo2ScaleIn
from tilsyn.platform.registry.store import set_spo2_scale

router = APIRouter(prefix="/api", tags=["patients"])
Clinician = Annotated[User, Depends(allowed("read_patients"))]
Triager = Annotated[User, Depends(allowed("triage"))]
ThresholdEditor = Annotated[User, Depends(allowed("edit_thresholds"))]


class Measurement(BaseModel):
    time: datetime
    kind: str
    value: float
    unit: str


class QuestionnaireAnswers(BaseModel):
    time: datetime
    questionnaire: str
    answers: dict[str, str | float | bool] = Field(description="answer per question (linkId)")
    colour: Colour | None = Field(description="by the questionnaire's colours; None: not judged")
    reason: str


MAX_ANSWER_SETS = 200  # more than a daily questionnaire gives in the longest window asked


class ThresholdIn(BaseModel):
    green_low: float | None = None
    green_high: float | None = None
    yellow_low: float | None = None
    yellow_high: float | None = None


@router.post("/news2", response_model=News2Score)
def news2(vitals: Vitals, _: Clinician) -> News2Score:
    """NEWS2 from whatever vitals are given; the result lists the parameters it lacks."""
    return score(vitals)


@router.get("/triage", response_model=list[PatientSummary])
def triage(db: Db, user: Triager) -> list[PatientSummary]:
    """Patients by urgency: red, yellow, green; then NEWS2 band; then longest unmeasured."""
    board = triage_board(db, datetime.now(UTC))
    for summary in board:
        audit(db, user, "triage_board", summary.patient_id)
    return board


@router.get("/patients/{patient_id}/measurements", response_model=list[Measurement])
def measurements(
    patient_id: str,
    db: Db,
    user: Clinician,
    kind: str | None = None,
    days: int = Query(30, ge=1, le=3650),
) -> list[Measurement]:
    _exists(db, patient_id)
    audit(db, user, "read_measurements", patient_id, {"kind": kind, "days": days})
    rows = db.execute(
        "SELECT time, kind, value, unit FROM vital_observations WHERE patient_id = %s"
        " AND time >= %s AND (%s::text IS NULL OR kind = %s) ORDER BY time",
        (patient_id, datetime.now(UTC) - timedelta(days=days), kind, kind),
    ).fetchall()
    return [Measurement(time=r[0], kind=r[1], value=r[2], unit=r[3]) for r in rows]


@router.get("/patients/{patient_id}/answers", response_model=list[QuestionnaireAnswers])
def answers(
    patient_id: str, db: Db, user: Clinician, days: int = Query(14, ge=1, le=3650)
) -> list[QuestionnaireAnswers]:
    """The patient's questionnaire answers of the last `days`, newest first."""
    _exists(db, patient_id)
    audit(db, user, "read_answers", patient_id, {"days": days})
    rows = db.execute(
        "SELECT time, questionnaire, answers FROM questionnaire_answers WHERE patient_id = %s"
        " AND time >= %s ORDER BY time DESC LIMIT %s",
        (patient_id, datetime.now(UTC) - timedelta(days=days), MAX_ANSWER_SETS),
    ).fetchall()
    colours = read_colours(db)
    sets = []
    for time, questionnaire, given in rows:
        judged = judge_answers(colours.get(questionnaire), given)
        sets.append(
            QuestionnaireAnswers(
                time=time,
                questionnaire=questionnaire,
                answers=given,
                colour=judged.colour,
                reason=judged.reason,
            )
        )
    return sets


@router.get("/patients/{patient_id}/thresholds", response_model=list[Threshold])
def thresholds(patient_id: str, db: Db, user: Clinician) -> list[Threshold]:
    """The patient's own thresholds, one per measurement kind that has them."""
    _exists(db, patient_id)
    audit(db, user, "read_thresholds", patient_id)
    rows = db.execute(
        "SELECT kind, green_low, green_high, yellow_low, yellow_high FROM patient_thresholds"
        " WHERE patient_id = %s ORDER BY kind",
        (patient_id,),
    ).fetchall()
    return [
        Threshold(kind=r[0], green_low=r[1], green_high=r[2], yellow_low=r[3], yellow_high=r[4])
        for r in rows
    ]


@router.put("/patients/{patient_id}/thresholds/{kind}", response_model=Threshold)
def set_threshold(
    patient_id: str, kind: Kind, body: ThresholdIn, db: Db, user: ThresholdEditor
) -> Threshold:
    _exists(db, patient_id)
    try:
        threshold = Threshold(kind=kind, **body.model_dump())
        require_red_limits(threshold)
    except ValidationError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _said(error)) from error
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    save_threshold(db, patient_id, threshold, user.username, replace=True)
    # What was changed, not to what: the audit log's reader (an admin) may not see health data.
    audit(db, user, "set_threshold", patient_id, {"kind": kind})
    return threshold


@router.get("/patients/{patient_id}/schedule", response_model=list[ScheduledTask])
def schedule(patient_id: str, db: Db, user: Clinician) -> list[ScheduledTask]:
    """What the patient is to measure and answer when, one entry per kind of measurement and
    per questionnaire (local clock times)."""
    _exists(db, patient_id)
    audit(db, user, "read_schedule", patient_id)
    return read_schedule(db, patient_id)


@router.put("/patients/{patient_id}/schedule", response_model=list[ScheduledTask])
def set_schedule(
    patient_id: str, body: list[ScheduledTask], db: Db, user: ThresholdEditor
) -> list[ScheduledTask]:
    """Replace the whole schedule; an empty list clears it. A measurement not taken, or a
    questionnaire not answered, by its time plus 3 hours raises a warning on the board."""
    _exists(db, patient_id)
    try:
        check_one_entry_per_task(body)
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    save_schedule(db, patient_id, body, since=datetime.now(UTC))
    audit(db, user, "set_schedule", patient_id, {"tasks": [t.task for t in body]})
    return body


@router.get("/patients/{patient_id}/instructions", response_model=Instructions)
def instructions(patient_id: str, db: Db, user: Clinician) -> Instructions:
    """What the patient's plan says to do on a red or a yellow reading."""
    _exists(db, patient_id)
    audit(db, user, "read_instructions", patient_id)
    return read_instructions(db, patient_id)


@router.put("/patients/{patient_id}/instructions", response_model=Instructions)
def set_instructions(
    patient_id: str, body: Instructions, db: Db, user: ThresholdEditor
) -> Instructions:
    """Replace both; the patient's home hub shows them when offline (pushed within seconds)."""
    _exists(db, patient_id)
    save_instructions(db, patient_id, body, user.username)
    audit(db, user, "set_instructions", patient_id)
    return body


@router.put("/patients/{patient_id}/spo2-scale", response_model=Spo2ScaleIn)
def set_scale(patient_id: str, body: Spo2ScaleIn, db: Db, user: ThresholdEditor) -> Spo2ScaleIn:
    """The NEWS2 SpO2 scale the patient is scored on: 2 only with a prescribed 88-92 % target
    (hypercapnic respiratory failure). The board scores on it at once, the alerts within the
    engine's next registry look (30 s)."""
    if not set_spo2_scale(db, patient_id, body.spo2_scale):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no patient {patient_id}")
    audit(db, user, "set_spo2_scale", patient_id)
    return body


def _said(error: ValidationError) -> str:
    """The validators' own words, without pydantic's framing."""
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())


def _exists(db: Db, patient_id: str) -> None:
    if db.execute("SELECT 1 FROM patients WHERE patient_id = %s", (patient_id,)).fetchone() is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no patient {patient_id}")
