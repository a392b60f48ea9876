"""What ingest set aside, for the operator to see: quarantined and dead-lettered messages.

A home hub's messages carry patients' measurements, and a badge's or dispenser's uplink a
staff member's entries, exits and rubs to the second. The roles that read this list (operator,
admin) may see neither: for those the list gives the reason but withholds the payload, and a
hub's reason names no patient. The messages themselves are kept whole, for replay."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from psycopg import sql
from pydantic import BaseModel

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.roles import CAN
from tilsyn.platform.auth.store import User
from tilsyn.platform.ingest.set_aside import HUB_TOPICS, hygiene_messages
from tilsyn.platform.ingest.workers import IngestFigures, WorkerStatus, list_workers

router = APIRouter(prefix="/api/ingest", tags=["ingest"])
Technician = Annotated[User, Depends(allowed("read_ingest_problems"))]
WITHHELD = "<withheld>"
# "patient P-1 is not registered for hub H1", "Patient/P-1": the id after the word.
PATIENT_MENTION = re.compile(r"(\bpatient(?: +|/))([A-Za-z0-9\-.]{1,64})", re.IGNORECASE)
ID_CHARS = r"A-Za-z0-9\-."


class SetAside(BaseModel):
    id: int
    received_at: datetime
    topic: str
    dev_eui: str | None
    reason: str
    payload_text: str | None  # the payload when it is UTF-8 (JSON envelopes are)
    payload_base64: str
    payload_withheld: bool = False  # patient data (a home hub's) or hygiene data (a badge's)


class IngestStatus(IngestFigures):
    """This process's ingest (nothing where it runs none), and every worker's own figures as
    it last wrote them, this one's included: with a share group, this process's figures are
    only its share."""

    workers: list[WorkerStatus]


@router.get("/quarantine", response_model=list[SetAside])
def quarantine(db: Db, user: Technician, limit: int = Query(100, ge=1, le=1000)) -> list[SetAside]:
    """Uplinks from devices the registry does not know, newest first."""
    return _set_aside(db, user, "quarantine", limit)


@router.get("/dead-letters", response_model=list[SetAside])
def dead_letters(
    db: Db, user: Technician, limit: int = Query(100, ge=1, le=1000)
) -> list[SetAside]:
    """Messages that could not be parsed, decoded or stored, with the reason, newest first."""
    return _set_aside(db, user, "dead_letters", limit)


@router.get("/status", response_model=IngestStatus)
def ingest_status(request: Request, db: Db, _: Technician) -> IngestStatus:
    """This process's ingest, and every ingest worker as it last reported."""
    service = request.app.state.ingest
    workers = list_workers(db)
    if service is None:
        return IngestStatus(workers=workers)
    mine = service.figures().model_dump(include=set(IngestFigures.model_fields))
    return IngestStatus(**mine, workers=workers)


def _set_aside(
    db: Db, user: User, table: Literal["quarantine", "dead_letters"], limit: int
) -> list[SetAside]:
    dev_eui = sql.SQL("dev_eui") if table == "quarantine" else sql.SQL("NULL")
    query = sql.SQL(
        "SELECT id, received_at, topic, {dev_eui}, reason, payload FROM {table} "
        "ORDER BY id DESC LIMIT %s"
    ).format(dev_eui=dev_eui, table=sql.Identifier(table))
    rows = db.execute(query, (limit,)).fetchall()
    hygiene = hygiene_messages(db, ((row[0], row[2], row[3], bytes(row[5])) for row in rows))
    hide_hygiene = user.role not in CAN["read_hygiene"]
    hide_patients = user.role not in CAN["read_patients"]
    patients: re.Pattern[str] | None = None
    found = []
    for row in rows:
        reason, payload = row[4], bytes(row[5])
        if row[2].startswith(HUB_TOPICS):
            withheld = hide_patients
            if withheld:
                patients = patients or _patient_ids(db)
                reason = _without_patients(reason, patients)
        else:
            withheld = hide_hygiene and row[0] in hygiene
            reason = _without_trace(reason) if withheld else reason
        shown = b"" if withheld else payload
        found.append(
            SetAside(
                id=row[0],
                received_at=row[1],
                topic=row[2],
                dev_eui=row[3],
                reason=reason,
                payload_text=None if withheld else _text(shown),
                payload_base64=base64.b64encode(shown).decode(),
                payload_withheld=withheld,
            )
        )
    return found


def _without_trace(reason: str) -> str:
    """A reason with any list or mapping cut off: the only way an error's text could carry a
    badge's events (the reasons ingest writes hold none)."""
    cut = re.search(r"[\[{]", reason)
    return reason if cut is None else reason[: cut.start()] + WITHHELD


def _patient_ids(db: Db) -> re.Pattern[str]:
    """Every registered patient id, as a whole word."""
    ids = sorted({row[0] for row in db.execute("SELECT patient_id FROM patients")}, key=len)
    alternatives = "|".join(map(re.escape, reversed(ids))) or "(?!)"
    return re.compile(rf"(?<![{ID_CHARS}])(?:{alternatives})(?![{ID_CHARS}])")


def _without_patients(reason: str, registered: re.Pattern[str]) -> str:
    """A hub's reason with the patient ids replaced: those named as a patient whether
    registered or not, and any registered one."""
    return registered.sub(WITHHELD, PATIENT_MENTION.sub(lambda m: m[1] + WITHHELD, reason))


def _text(payload: bytes) -> str | None:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
