"""Alerts for the signed-in user's role: list, detail with history, acknowledge, resolve,
comment, and a live stream (Server-Sent Events) that replays what a reconnecting client missed."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import partial

from fastapi import APIRouter, Header, HTTPException, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.alerts.models import Alert
from tilsyn.platform.alerts.store import (
    REPLAY_PAGE,
    AlertNotFound,
    InvalidTransition,
    acknowledge,
    comment,
    get_alert,
    list_alerts,
    notifications,
    resolve,
)
from tilsyn.platform.api.deps import CurrentUser, Db, SessionWatch
from tilsyn.platform.auth.roles import AUDIENCES
from tilsyn.platform.auth.store import User, audit
from tilsyn.platform.streams import next_within

router = APIRouter(prefix="/api/alerts", tags=["alerts"])
KEEPALIVE_S = 15.0
SESSION_CHECK_S = 1.0  # how long a stream of operational alerts may outlive its session
# Ids a stream remembers having sent: far more than can arrive out of order.
REMEMBERED_IDS = 10_000


class Note(BaseModel):
    text: str = Field(default="", max_length=2000)


@router.get("", response_model=list[Alert])
def alerts(db: Db, user: CurrentUser, include_resolved: bool = False) -> list[Alert]:
    """Alerts for the audiences of your role, newest first, each with its comments and, for a
    patient alert the night shift took on, whether a night nurse is coming (`night_task`)."""
    found = list_alerts(db, AUDIENCES[user.role], active_only=not include_resolved)
    _audit_patients(db, user, found, "list_alerts")
    return found


@router.get("/stream")
async def stream(
    request: Request, user: CurrentUser, last_event_id: int | None = Header(None)
) -> StreamingResponse:
    """Server-Sent Events, one `alert` event per change; send Last-Event-ID to resume."""
    hub: NotificationHub = request.app.state.hub
    audiences = AUDIENCES[user.role]
    queue = hub.subscribe(audiences)
    pool = request.app.state.pool

    def replay(after: int) -> list[tuple[int, str, dict[str, object]]]:
        with pool.connection() as conn:
            return notifications(conn, audiences=audiences, after=after)

    def audit_sent(notification: Notification) -> None:
        """An alert about a patient, pushed to this user: a read of that patient's data."""
        sent = notification.payload["alert"]
        assert isinstance(sent, dict)
        with pool.connection() as conn:
            detail = {"alert_id": sent.get("alert_id")}
            audit(conn, user, "stream_alert", str(sent["entity_id"]), detail)

    # An alert storm brings hundreds of changes a second: a session lookup for each would let
    # the stream fall behind until it is closed. Other alerts look at most once a second; a
    # patient's alert looks first, every time, and its sending is audited.
    session = SessionWatch(request, every_s=SESSION_CHECK_S)

    async def events() -> AsyncIterator[str]:
        # Announcements may come out of id order (each is made after its own commit), so what
        # was sent is remembered by id, not as a highest id: a lower one arriving late still
        # goes out. What the client saw before reconnecting is not sent again.
        seen_before = last_event_id or 0
        sent: OrderedDict[int, None] = OrderedDict()
        try:
            yield "retry: 2000\n\n"
            after = last_event_id
            while after is not None:  # page by page (1000 each) until the outbox is read
                page = await run_in_threadpool(replay, after)
                for entry in page:
                    sent[entry[0]] = None
                    replayed = Notification(*entry)
                    if _about_patient(replayed):
                        await run_in_threadpool(audit_sent, replayed)
                    yield _event(replayed)
                after = page[-1][0] if len(page) == REPLAY_PAGE else None
            while not await request.is_disconnected():
                try:
                    item = await next_within(queue, KEEPALIVE_S)
                except TimeoutError:
                    if await session.ended():
                        return  # signed out, expired or made inactive: nothing more
                    yield ": keep-alive\n\n"
                    continue
                # What else is waiting goes out in the same write.
                chunk, ended = [], False
                for waiting in (item, *_waiting(queue)):
                    # None: too slow (the client reconnects and replays); or signed out,
                    # expired or made inactive.
                    patient = waiting is not None and _about_patient(waiting)
                    if waiting is None or await session.ended(at_once=patient):
                        ended = True
                        break
                    if waiting.outbox_id > seen_before and waiting.outbox_id not in sent:
                        sent[waiting.outbox_id] = None
                        while len(sent) > REMEMBERED_IDS:
                            sent.popitem(last=False)
                        if patient:
                            await run_in_threadpool(audit_sent, waiting)
                        chunk.append(_event(waiting))
                if chunk:
                    yield "".join(chunk)
                if ended:
                    return
        finally:
            hub.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/{alert_id}", response_model=Alert)
def alert(alert_id: int, db: Db, user: CurrentUser) -> Alert:
    found = _visible(db, user, alert_id)
    _audit_patients(db, user, [found], "read_alert")
    return found


@router.post("/{alert_id}/acknowledge", response_model=Alert)
def acknowledge_alert(alert_id: int, request: Request, db: Db, user: CurrentUser) -> Alert:
    _visible(db, user, alert_id)
    action = partial(acknowledge, db, alert_id, user.username, _now())
    return _change(request, db, user, "acknowledge_alert", action, alert_id)


@router.post("/{alert_id}/resolve", response_model=Alert)
def resolve_alert(alert_id: int, body: Note, request: Request, db: Db, user: CurrentUser) -> Alert:
    _visible(db, user, alert_id)
    action = partial(resolve, db, alert_id, user.username, _now(), body.text)
    return _change(request, db, user, "resolve_alert", action, alert_id)


@router.post("/{alert_id}/comments", response_model=Alert)
def comment_alert(alert_id: int, body: Note, request: Request, db: Db, user: CurrentUser) -> Alert:
    _visible(db, user, alert_id)
    if not body.text.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "a comment needs text")
    action = partial(comment, db, alert_id, user.username, body.text)
    return _change(request, db, user, "comment_alert", action, alert_id)


def _visible(db: Db, user: User, alert_id: int) -> Alert:
    try:
        found = get_alert(db, alert_id)
    except AlertNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    if found.audience not in AUDIENCES[user.role]:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    return found


def _change(
    request: Request,
    db: Db,
    user: User,
    what: str,
    action: Callable[[], list[int]],
    alert_id: int,
) -> Alert:
    """Applies and announces a change; the answer holds the alert, so a patient's is audited."""
    try:
        outbox = action()
    except InvalidTransition as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    # Committed before it is announced: a stream must never show a change that then fails to
    # commit, nor one a client reading the alert at once would not find.
    db.commit()
    hub: NotificationHub = request.app.state.hub
    hub.announce([Notification(*entry) for entry in notifications(db, outbox)])
    changed = get_alert(db, alert_id)
    _audit_patients(db, user, [changed], what)
    return changed


def _audit_patients(db: Db, user: User, found: list[Alert], action: str) -> None:
    for patient_id in sorted({a.entity_id for a in found if a.entity_type == "patient"}):
        audit(db, user, action, patient_id)


def _waiting(queue: asyncio.Queue[Notification | None]) -> list[Notification | None]:
    """Everything already in the queue, without waiting."""
    found = []
    while not queue.empty():
        found.append(queue.get_nowait())
    return found


def _about_patient(notification: Notification) -> bool:
    alert = notification.payload.get("alert")
    return isinstance(alert, dict) and alert.get("entity_type") == "patient"


def _event(notification: Notification) -> str:
    data = json.dumps(notification.payload, separators=(",", ":"), default=str)
    return f"id: {notification.outbox_id}\nevent: alert\ndata: {data}\n\n"


def _now() -> datetime:
    return datetime.now(UTC)
