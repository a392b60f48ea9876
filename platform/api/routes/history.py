"""A container's fill history (hourly rollup) and a forecast of when it will be full."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel

from tilsyn.platform.alerts.rules_containers import HISTORY, hours_until_full
from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User
from tilsyn.platform.containers.emptying import since_last_emptying

router = APIRouter(prefix="/api/containers", tags=["containers"])
Reader = Annotated[User, Depends(allowed("read_containers"))]


class HourlyFill(BaseModel):
    bucket: datetime
    readings: int
    fill_avg: float
    fill_min: float
    fill_max: float


class Forecast(BaseModel):
    hours_until_full: float | None  # from now
    full_by: datetime | None
    based_on_readings: int


NO_FORECAST = Forecast(hours_until_full=None, full_by=None, based_on_readings=0)


class History(BaseModel):
    container_id: str
    hours: int
    hourly: list[HourlyFill]
    forecast: Forecast


@router.get("/{container_id}/history", response_model=History)
def history(
    container_id: str, db: Db, _: Reader, hours: int = Query(72, ge=1, le=24 * 90)
) -> History:
    """Hourly fill (average, min, max) for the last `hours`, and when the container is full.
    A retired container's history stays readable; it has no forecast."""
    found = db.execute(
        "SELECT retired_at IS NOT NULL FROM container_register WHERE container_id = %s",
        (container_id,),
    ).fetchone()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no container {container_id}")
    (retired,) = found
    now = datetime.now(UTC)
    rows = db.execute(
        "SELECT bucket, readings, fill_avg, fill_min, fill_max FROM container_fill_hourly"
        " WHERE container_id = %s AND bucket >= %s ORDER BY bucket",
        (container_id, now - timedelta(hours=hours)),
    ).fetchall()
    hourly = [
        HourlyFill(bucket=r[0], readings=r[1], fill_avg=r[2], fill_min=r[3], fill_max=r[4])
        for r in rows
    ]
    forecast = NO_FORECAST if retired else _forecast(db, container_id)
    return History(container_id=container_id, hours=hours, hourly=hourly, forecast=forecast)


def _forecast(db: Db, container_id: str) -> Forecast:
    """The same least-squares rate the overflow alert uses, over readings since the last
    emptying within the alert rule's window, so the screen and the alert agree."""
    rows = db.execute(
        "SELECT time, fill_percent FROM container_readings WHERE container_id = %s"
        " AND fill_percent IS NOT NULL AND time >= now() - %s ORDER BY time",
        (container_id, HISTORY),
    ).fetchall()
    since_emptied = since_last_emptying([(t, float(f)) for t, f in rows])
    hours = hours_until_full(since_emptied)
    if hours is None:
        return Forecast(hours_until_full=None, full_by=None, based_on_readings=len(since_emptied))
    full_by = since_emptied[-1][0] + timedelta(hours=hours)
    # Counted from now, not from the last reading: a sensor quiet for a day is a day closer.
    from_now = max(0.0, (full_by - datetime.now(UTC)).total_seconds() / 3600)
    return Forecast(
        hours_until_full=from_now, full_by=full_by, based_on_readings=len(since_emptied)
    )
