"""What ingest set aside, for the operator to see: quarantined and dead-lettered messages.

A home hub's messages carry patients' measurements, which the roles that read this list
(operator, admin) may not see: for those the list gives the reason but withholds the payload.
The messages themselves are kept whole, for replay."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from psycopg import sql
from pydantic import BaseModel

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User

router = APIRouter(prefix="/api/ingest", tags=["ingest"])
HUB_TOPICS = "tilsyn/edge/"
Technician = Annotated[User, Depends(allowed("read_ingest_problems"))]


class SetAside(BaseModel):
    id: int
    received_at: datetime
    topic: str
    dev_eui: str | None
    reason: str
    payload_text: str | None  # the payload when it is UTF-8 (JSON envelopes are)
    payload_base64: str
    payload_withheld: bool = False  # a home hub's message: patient data


class IngestStatus(BaseModel):
    running: bool
    queue_depth: int
    received: int
    stored: int
    duplicates: int
    quarantined: int
    dead_letters: int
    database_retries: int
    # Reading times moved because a hub's or a meter's clock was off (see hub_clock.py).
    clock_corrections: int
    last_database_error: str | None


@router.get("/quarantine", response_model=list[SetAside])
def quarantine(db: Db, _: Technician, limit: int = Query(100, ge=1, le=1000)) -> list[SetAside]:
    """Uplinks from devices the registry does not know, newest first."""
    return _set_aside(db, "quarantine", limit)


@router.get("/dead-letters", response_model=list[SetAside])
def dead_letters(db: Db, _: Technician, limit: int = Query(100, ge=1, le=1000)) -> list[SetAside]:
    """Messages that could not be parsed, decoded or stored, with the reason, newest first."""
    return _set_aside(db, "dead_letters", limit)


@router.get("/status", response_model=IngestStatus)
def ingest_status(request: Request, _: Technician) -> IngestStatus:
    service = request.app.state.ingest
    if service is None:
        return IngestStatus(
            running=False,
            queue_depth=0,
            received=0,
            stored=0,
            duplicates=0,
            quarantined=0,
            dead_letters=0,
            database_retries=0,
            clock_corrections=0,
            last_database_error=None,
        )
    s = service.stats
    return IngestStatus(
        running=service.running,
        queue_depth=service.queue_depth,
        received=s.received,
        stored=s.stored,
        duplicates=s.duplicates,
        quarantined=s.quarantined,
        dead_letters=s.dead_letters,
        database_retries=s.database_retries,
        clock_corrections=s.clock_corrections,
        last_database_error=s.last_database_error,
    )


def _set_aside(db: Db, table: Literal["quarantine", "dead_letters"], limit: int) -> list[SetAside]:
    dev_eui = sql.SQL("dev_eui") if table == "quarantine" else sql.SQL("NULL")
    query = sql.SQL(
        "SELECT id, received_at, topic, {dev_eui}, reason, payload FROM {table} "
        "ORDER BY id DESC LIMIT %s"
    ).format(dev_eui=dev_eui, table=sql.Identifier(table))
    found = []
    for row in db.execute(query, (limit,)):
        withheld = row[2].startswith(HUB_TOPICS)
        payload = b"" if withheld else bytes(row[5])
        found.append(
            SetAside(
                id=row[0],
                received_at=row[1],
                topic=row[2],
                dev_eui=row[3],
                reason=row[4],
                payload_text=None if withheld else _text(payload),
                payload_base64=base64.b64encode(payload).decode(),
                payload_withheld=withheld,
            )
        )
    return found


def _text(payload: bytes) -> str | None:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
