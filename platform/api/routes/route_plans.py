"""Collection routes for the operator: the plans in force (today's, while the trucks are out,
and the next collection day's), and "plan now" for the next collection day.

Planning runs in a worker thread (this is a plain `def` route) under a short, configured
search budget, so the request is answered within seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.alerts.store import notifications
from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User
from tilsyn.platform.planning.collection import (
    collection_geojson,
    current_collection_plans,
    latest_collection_plan,
    plan_next_day,
    save_collection_plan,
)
from tilsyn.platform.planning.daily_collection import record_stored_plan
from tilsyn.platform.planning.errors import PlanRejected
from tilsyn.routing.collection_fleet import FleetFileError

router = APIRouter(prefix="/api/routes", tags=["collection routes"])
Planner = Annotated[User, Depends(allowed("plan_routes"))]


@router.get("/plan")
def current_plan(db: Db, _: Planner) -> dict[str, Any]:
    """The latest plan: a GeoJSON FeatureCollection, one LineString per truck."""
    found = latest_collection_plan(db)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no route plan yet")
    return found


@router.get("/plans")
def current_plans(db: Db, _: Planner) -> list[dict[str, Any]]:
    """The plan of each collection day not over yet, in day order (today's while the trucks
    are out, and the next day's once planned); with none, the latest plan. Empty before the
    first plan."""
    return current_collection_plans(db, datetime.now(UTC))


@router.post("/plan")
def plan_now(request: Request, db: Db, user: Planner) -> dict[str, Any]:
    """Plan the next collection day from the containers' latest fill and forecasts, each kind
    of waste with its own trucks; store the plan, return it."""
    now = datetime.now(UTC)
    try:
        next_day = plan_next_day(db, request.app.state.settings, now)
    except (PlanRejected, FleetFileError) as error:
        # A plan that broke a rule, or a fleet the settings cannot describe: nothing is served.
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error
    geojson = collection_geojson(next_day, now)
    save_collection_plan(db, user.username, geojson)
    # The day has a plan now: an alert that the daily plan failed for it is resolved, or says
    # what this plan leaves unserved.
    outbox = record_stored_plan(db, next_day.origin, now, geojson)
    db.commit()  # stored before the operator sees it
    hub: NotificationHub = request.app.state.hub
    hub.announce([Notification(*entry) for entry in notifications(db, outbox)])
    return geojson
