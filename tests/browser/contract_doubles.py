"""Test doubles of API contracts the screens use before the real endpoints exist: the night
nurse's plan (`/api/night/...`), tomorrow's collection routes (`/api/routes/plan`), and the
home-care visit request (`POST /api/patients/{id}/visits`, a proposed contract). They follow
the agreed shapes and keep their state in memory, so the screens can be driven end to end;
they are not the planners.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import threading
from collections.abc import AsyncIterator
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import StreamingResponse

from tilsyn.platform.api.deps import allowed
from tilsyn.platform.auth.store import User

NightNurse = Annotated[User, Depends(allowed("read_patients"))]
Operator = Annotated[User, Depends(allowed("read_containers"))]
Triager = Annotated[User, Depends(allowed("triage"))]
NEXT_STATE = {"acknowledge": "acknowledged", "start": "started", "done": "done"}


def task(
    task_id: str, position: int, name: str, minutes: int, reason: str, urgent: bool = False
) -> dict[str, Any]:
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=minutes)
    return {
        "task_id": task_id,
        "position": position,
        "location_name": name,
        "address": f"{name}vej {position + 2}, 7400 Herning",
        "lat": 56.13 + 0.01 * position,
        "lon": 8.97 + 0.01 * position,
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(minutes=45)).isoformat(),
        "eta": (start + timedelta(minutes=10)).isoformat(),
        "reason": reason,
        "urgent": urgent,
        "state": "planned",
    }


class NightPlanDouble:
    """The plan of one night shift; every change is pushed to open streams as `event: plan`."""

    def __init__(self, tasks: list[dict[str, Any]]) -> None:
        self.plan: dict[str, Any] = {
            "nurse": "",
            "generated_at": datetime.now(UTC).isoformat(),
            "tasks": tasks,
        }
        self.version = 1
        self.refusing = False
        self._lock = threading.Lock()
        self._queues: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[int | None]]] = []

    def insert_urgent(self, new: dict[str, Any]) -> None:
        """A new urgent task goes first among the tasks not yet done, as a replanner would."""
        with self._lock:
            tasks = self.plan["tasks"]
            tasks.insert(0, {**new, "urgent": True})
            for position, item in enumerate(tasks, start=1):
                item["position"] = position
        self._changed()

    def drop_connections(self, refuse: bool) -> None:
        """End every open stream; while `refuse`, new ones get 503 (a dead mobile link)."""
        self.refusing = refuse
        self._push(None)

    def _changed(self) -> None:
        with self._lock:
            self.version += 1
            self.plan["generated_at"] = datetime.now(UTC).isoformat()
        self._push(self.version)

    def _push(self, item: int | None) -> None:
        for loop, queue in list(self._queues):
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/api/night", tags=["night (test double)"])

        @router.get("/plan")
        def plan(user: NightNurse) -> dict[str, Any]:
            return {**deepcopy(self.plan), "nurse": user.username}

        @router.post("/tasks/{task_id}/{action}")
        def act(task_id: str, action: str, _: NightNurse) -> dict[str, Any]:
            if action not in NEXT_STATE:
                raise HTTPException(status.HTTP_404_NOT_FOUND, action)
            found = [t for t in self.plan["tasks"] if t["task_id"] == task_id]
            if not found:
                raise HTTPException(status.HTTP_404_NOT_FOUND, task_id)
            found[0]["state"] = NEXT_STATE[action]
            self._changed()
            return deepcopy(found[0])

        @router.get("/stream")
        async def stream(
            request: Request, user: NightNurse, last_event_id: int | None = Header(None)
        ) -> StreamingResponse:
            if self.refusing:
                raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "link down")
            queue: asyncio.Queue[int | None] = asyncio.Queue()
            entry = (asyncio.get_running_loop(), queue)
            self._queues.append(entry)
            if last_event_id is None or last_event_id < self.version:
                queue.put_nowait(self.version)
            return StreamingResponse(
                self._events(request, queue, entry, user.username), media_type="text/event-stream"
            )

        return router

    async def _events(
        self, request: Request, queue: asyncio.Queue[int | None], entry: Any, nurse: str
    ) -> AsyncIterator[str]:
        try:
            yield "retry: 500\n\n"
            while not await request.is_disconnected():
                try:
                    version = await asyncio.wait_for(queue.get(), 0.5)
                except TimeoutError:
                    continue
                if version is None:
                    return
                data = json.dumps({**self.plan, "nurse": nurse})
                yield f"id: {version}\nevent: plan\ndata: {data}\n\n"
        finally:
            self._queues.remove(entry)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat, dlon = math.radians(b[0] - a[0]), math.radians(b[1] - a[1])
    h = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(a[0])) * math.cos(math.radians(b[0])) * math.sin(dlon / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


class RoutePlanDouble:
    """Tomorrow's routes: `POST` splits the given stops between trucks in the given order."""

    def __init__(
        self, depot: tuple[float, float], stops: list[tuple[float, float, float]], trucks: int = 2
    ) -> None:
        self.depot, self.stops, self.trucks = depot, stops, trucks
        self.plan: dict[str, Any] | None = None
        self.plans_made = 0

    def make_plan(self) -> dict[str, Any]:
        """A sweep: stops by bearing from the depot, cut into one slice per truck, so the
        picture looks like routes; no optimisation, no capacities."""
        by_bearing = sorted(
            self.stops, key=lambda s: math.atan2(s[0] - self.depot[0], s[1] - self.depot[1])
        )
        size = math.ceil(len(by_bearing) / self.trucks)
        features = []
        for number in range(self.trucks):
            mine = by_bearing[number * size : (number + 1) * size]
            path = [self.depot, *[(lat, lon) for lat, lon, _ in mine], self.depot]
            km = sum(_km(a, b) for a, b in itertools.pairwise(path))
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[lon, lat] for lat, lon in path],
                    },
                    "properties": {
                        "vehicle": f"Truck {number + 1}",
                        "km": round(km, 1),
                        "load_litres": sum(litres for _, _, litres in mine),
                        "stops": len(mine),
                    },
                }
            )
        self.plans_made += 1
        self.plan = {"type": "FeatureCollection", "features": features}
        return self.plan

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/api/routes", tags=["routes (test double)"])

        @router.get("/plan")
        def current(_: Operator) -> dict[str, Any]:
            if self.plan is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "no plan yet")
            return self.plan

        @router.post("/plan")
        def plan_now(_: Operator) -> dict[str, Any]:
            return self.make_plan()

        return router


class VisitRequestDouble:
    """`POST /api/patients/{id}/visits {reason, within_hours}` -> 201 `{visit_id, patient_id,
    reason, due_by, state}`; requests are kept in order for the test to inspect."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/api/patients", tags=["visits (test double)"])

        @router.post("/{patient_id}/visits", status_code=status.HTTP_201_CREATED)
        def request_visit(patient_id: str, body: dict[str, Any], _: Triager) -> dict[str, Any]:
            hours = float(body["within_hours"])
            visit = {
                "visit_id": len(self.requests) + 1,
                "patient_id": patient_id,
                "reason": str(body["reason"]),
                "due_by": (datetime.now(UTC) + timedelta(hours=hours)).isoformat(),
                "state": "requested",
            }
            self.requests.append(visit)
            return visit

        return router
