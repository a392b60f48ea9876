"""Home hubs as their edge agents report them: queue, drops, last contact, device batteries,
a clock found running behind, whether the hub runs the configuration last pushed, and what
needs someone's attention (`patients/hub_watch.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User, audit
from tilsyn.platform.patients.hub_watch import HubState, problems

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
    config_pushed_version: int | None  # retained on the hub's config topic
    config_applied_version: int | None  # as of the hub's latest health report
    # Why the hub's latest configuration could not be sent (too big), and since when.
    config_unsent: str | None
    config_unsent_since: datetime | None
    # The hub does not run its latest configuration: it has not reported the version pushed
    # applied (a greater one: the platform lost what it pushed, as in a restored database),
    # or the latest could not be sent at all.
    config_behind: bool
    patients: list[str]  # whom the hub serves: whom to call when it needs attention
    problems: list[str]  # what to see to, in words; empty when the hub is fine


@router.get("/health", response_model=list[HubHealth])
def hub_health(db: Db, user: Reader, needs_attention: bool = False) -> list[HubHealth]:
    """Every registered hub with its latest health report (nulls until the first one); with
    `needs_attention`, only those with problems, so only their patients are read."""
    rows = db.execute(
        """SELECT h.hub_id, h.unit, r.time, r.queue_depth, r.queue_bytes, r.oldest_queued_at,
                  r.last_contact, r.dropped_total, r.dropped_by_reason, r.devices,
                  r.clock_behind_s, p.version, r.config_version, u.reason, u.since,
                  v.registered_at, p.version_pushed_at,
                  ARRAY(SELECT patient_id FROM hub_patients hp WHERE hp.hub_id = h.hub_id
                        ORDER BY patient_id)
           FROM hubs h JOIN devices v ON v.device_id = h.hub_id
           LEFT JOIN LATERAL (
               SELECT * FROM hub_health x WHERE x.hub_id = h.hub_id ORDER BY time DESC LIMIT 1
           ) r ON true
           LEFT JOIN hub_config_pushed p ON p.hub_id = h.hub_id
           LEFT JOIN hub_config_unsent u ON u.hub_id = h.hub_id
           ORDER BY h.hub_id"""
    ).fetchall()
    now = datetime.now(UTC)
    answer = [
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
            config_pushed_version=r[11],
            config_applied_version=r[12],
            config_unsent=r[13],
            config_unsent_since=r[14],
            config_behind=r[12] != r[11] or r[13] is not None,
            patients=r[17],
            problems=problems(
                HubState(
                    registered_at=r[15],
                    reported_at=r[2],
                    queue_depth=r[3],
                    oldest_queued_at=r[5],
                    devices=r[9] or [],
                    clock_behind_s=r[10],
                    config_pushed_version=r[11],
                    config_pushed_at=r[16],
                    config_applied_version=r[12],
                    config_unsent=r[13],
                ),
                now,
            ),
        )
        for r in rows
    ]
    if needs_attention:
        answer = [hub for hub in answer if hub.problems]
    # Which patients a hub serves is theirs to know: each one shown is a read of their data.
    for patient_id in sorted({p for hub in answer for p in hub.patients}):
        audit(db, user, "hub_health", patient_id)
    return answer
