"""The night nurse's route: her plan, task actions, and a live stream of the plan.

The stream sends the whole plan as `event: plan` with `id:` "{shift id}:{revision}" (the
revision moves on with every new plan and every task action, and counts per shift); a client
that reconnects with Last-Event-ID gets the current plan at once unless it already has that
shift's plan at that revision. A stream stays on one shift: once the nurse's shift is another
(or none), it ends, so the reconnect gets the shift she is on now. Every plan sent is a read of
the patients on it, and is audited as one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from tilsyn.platform.api.deps import SessionWatch, allowed
from tilsyn.platform.auth.store import User
from tilsyn.platform.planning.errors import NoPlanFound, NoShift, PlanRejected
from tilsyn.platform.planning.night_service import NightService
from tilsyn.platform.planning.night_store import InvalidAction, TaskNotFound
from tilsyn.platform.streams import next_within

router = APIRouter(prefix="/api/night", tags=["night"])
NightNurse = Annotated[User, Depends(allowed("work_night_tasks"))]
KEEPALIVE_S = 15.0
# An action held on a phone longer than a night shift is not recorded as if it were fresh.
ACTION_DELAY_LIMIT = timedelta(hours=12)


def _service(request: Request) -> NightService:
    service: NightService = request.app.state.night
    return service


@router.get("/plan")
def plan(request: Request, user: NightNurse) -> dict[str, Any]:
    """Your route tonight, in order: what you have started or done first, then what is
    ahead, then tasks no route could take (with the reason)."""
    return _view(_service(request), user)


def _view(service: NightService, user: User) -> dict[str, Any]:
    """The nurse's plan now; no shift is 404, a plan the checker refused or none found within
    the budget is 503 (with why)."""
    try:
        return service.view(user, datetime.now(UTC))
    except NoShift as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except (PlanRejected, NoPlanFound) as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from error


@router.post("/tasks/{task_id}/{action}")
def act(
    task_id: str,
    action: Literal["acknowledge", "start", "done"],
    request: Request,
    user: NightNurse,
    at: Annotated[
        AwareDatetime | None,
        Query(description="When the nurse pressed it, if the phone sends it later (no signal)"),
    ] = None,
) -> dict[str, Any]:
    """Move a task on. Sending the same action again changes nothing (200), so a phone may
    resend what it is unsure of; `at` later than now counts as now."""
    now = datetime.now(UTC)
    if at is not None and at < now - ACTION_DELAY_LIMIT:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"pressed at {at.isoformat()}: more than {ACTION_DELAY_LIMIT} ago, too late to"
            " record; tell the nurse in charge",
        )
    pressed = now if at is None else min(at, now)
    try:
        return _service(request).act(user, task_id, action, now, pressed)
    except TaskNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except InvalidAction as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


@router.get("/stream")
async def stream(
    request: Request, user: NightNurse, last_event_id: str | None = Header(None)
) -> StreamingResponse:
    service = _service(request)
    queue = service.streams.subscribe()
    try:
        first = await run_in_threadpool(_view, service, user)
    except HTTPException:
        service.streams.unsubscribe(queue)
        raise

    session = SessionWatch(request)

    async def moved_on(shown: dict[str, Any]) -> bool:
        """Her shift is over (or another is hers now): the stream ends, and the phone's
        reconnect gets the shift she is on now, or 404."""
        now = datetime.now(UTC)
        shift_now = await run_in_threadpool(service.shift_id_of, user, now)
        return shift_now != int(shown["shift_id"])

    async def events() -> AsyncIterator[str]:
        shown = first
        try:
            yield "retry: 1000\n\n"
            if not _has_seen(last_event_id, shown):
                yield _event(shown)
            sent = shown["revision"]
            while not await request.is_disconnected():
                try:
                    change = await next_within(queue, KEEPALIVE_S)
                except TimeoutError:
                    if await session.ended():
                        return  # signed out, expired or made inactive: nothing more
                    if await moved_on(shown):
                        return
                    yield ": keep-alive\n\n"
                    continue
                if change is None or await session.ended():
                    return  # too slow (the client reconnects for the plan as it is), or gone
                shift_id, revision = change
                if shift_id != shown["shift_id"] and await moved_on(shown):
                    return
                if shift_id == shown["shift_id"] and revision > sent:
                    shown = await run_in_threadpool(service.view_of_shift, user, shift_id)
                    sent = shown["revision"]
                    yield _event(shown)
        finally:
            service.streams.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _event_id(shown: dict[str, Any]) -> str:
    return f"{shown['shift_id']}:{shown['revision']}"


def _has_seen(last_event_id: str | None, shown: dict[str, Any]) -> bool:
    """Whether the client resuming with `last_event_id` already has this plan: the same
    shift, at this revision or later. Revisions count per shift, so one from another shift
    (or a bare revision from before ids named the shift) says nothing."""
    shift, _, revision = (last_event_id or "").partition(":")
    if shift != str(shown["shift_id"]) or not revision.isdigit():
        return False
    return int(revision) >= int(shown["revision"])


def _event(shown: dict[str, Any]) -> str:
    data = json.dumps(shown, separators=(",", ":"))
    return f"id: {_event_id(shown)}\nevent: plan\ndata: {data}\n\n"
