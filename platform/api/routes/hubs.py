"""Home hubs as their edge agents report them: queue, drops, last contact, device batteries,
and a clock found running behind."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User

router = APIRouter(prefix="/api/hubs", tags=["hubs"])
Reader = Annotated[User, Depends(allowed("read_hub_health"))]


class HubHealth(BaseModel):
    hub_id: str
    unit: str
    reported_at: datetime | None
    queue_depth: int | None
    queue_bytes: int | None
    oldest_queued_at: datetime | None
    last_contact: datetime | None
    dropped_total: int | None
    dropped_by_reason: dict[str, int]
    devices: list[dict[str, Any]]
    clock_behind_s: float | None  # how far the hub found its clock behind (docs/edge.md)


@router.get("/health", response_model=list[HubHealth])
def hub_health(db: Db, _: Reader) -> list[HubHealth]:
    """Every registered hub with its latest health report (nulls until the first one)."""
    rows = db.execute(
        """SELECT h.hub_id, h.unit, r.time, r.queue_depth, r.queue_bytes, r.oldest_queued_at,
                  r.last_contact, r.dropped_total, r.dropped_by_reason, r.devices,
                  r.clock_behind_s
           FROM hubs h LEFT JOIN LATERAL (
               SELECT * FROM hub_health x WHERE x.hub_id = h.hub_id ORDER BY time DESC LIMIT 1
           ) r ON true ORDER BY h.hub_id"""
    ).fetchall()
    return [
        HubHealth(
            hub_id=r[0],
            unit=r[1],
            reported_at=r[2],
            queue_depth=r[3],
            queue_bytes=r[4],
            oldest_queued_at=r[5],
            last_contact=r[6],
            dropped_total=r[7],
            dropped_by_reason=r[8] or {},
            devices=r[9] or [],
            clock_behind_s=r[10],
        )
        for r in rows
    ]
