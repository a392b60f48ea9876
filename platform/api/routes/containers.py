"""Containers: register them, change them (kept on record), retire them (and put them back),
and read their latest fill state."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.alerts.store import notifications, resolve_all_of
from tilsyn.platform.api.deps import Db, SessionWatch, allowed
from tilsyn.platform.auth.store import User
from tilsyn.platform.containers.feed import ContainerFeed
from tilsyn.platform.containers.links import SensorLink, sensor_links
from tilsyn.platform.containers.models import (
    ContainerChange,
    ContainerEdit,
    ContainerIn,
    ContainerState,
    Reinstatement,
    RetiredContainer,
    Retirement,
)
from tilsyn.platform.containers.store import (
    AlreadyRegistered,
    AlreadyRetired,
    DevEuiTaken,
    InService,
    UnknownContainer,
    change_container,
    get_retired,
    get_state,
    list_changes,
    list_retired,
    list_states,
    not_in_service,
    register_container,
    reinstate_container,
    retire_container,
)
from tilsyn.platform.ingest.service import IngestService
from tilsyn.platform.ingest.uplink_counts import MAX_DAYS
from tilsyn.platform.streams import next_within

router = APIRouter(prefix="/api/containers", tags=["containers"])
Reader = Annotated[User, Depends(allowed("read_containers"))]
Manager = Annotated[User, Depends(allowed("manage_containers"))]
KEEPALIVE_S = 15.0


@router.get("", response_model=list[ContainerState])
def containers(db: Db, _: Reader) -> list[ContainerState]:
    """Every container with its latest reading (fields are null until the first one arrives)."""
    return list_states(db)


@router.get("/links", response_model=list[SensorLink])
def links(
    db: Db, _: Reader, days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = MAX_DAYS
) -> list[SensorLink]:
    """How each container's sensor gets through over the last `days`: uplinks stored, and
    uplinks missing by their frame counts (lost on the radio, or refused: see the dead
    letters), the largest share missing first."""
    return sensor_links(db, days)


@router.get("/stream")
async def stream(request: Request, _: Reader) -> StreamingResponse:
    """Server-Sent Events: one `fill` event per batch of containers whose state changed
    (a list shaped like `GET /api/containers`), and a `retired` event with the ids of those
    taken out of service. Read the full list on (re)connecting."""
    feed: ContainerFeed = request.app.state.container_feed
    queue = feed.streams.subscribe()
    session = SessionWatch(request, every_s=KEEPALIVE_S)  # batches come often: look now and then

    async def events() -> AsyncIterator[str]:
        try:
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                try:
                    batch = await next_within(queue, KEEPALIVE_S)
                except TimeoutError:
                    if await session.ended():
                        return  # signed out, expired or made inactive: nothing more
                    yield ": keep-alive\n\n"
                    continue
                if batch is None or await session.ended():
                    return  # too slow (the client reconnects and re-reads), or signed out
                if batch.states:
                    data = json.dumps([state.model_dump(mode="json") for state in batch.states])
                    yield f"event: fill\ndata: {data}\n\n"
                if batch.retired:
                    yield f"event: retired\ndata: {json.dumps(batch.retired)}\n\n"
        finally:
            feed.streams.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/retired", response_model=list[RetiredContainer])
def retired(
    db: Db, _: Reader, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[RetiredContainer]:
    """Containers taken out of service, the latest retired first: when, by whom and why, and
    the sensor each had."""
    return list_retired(db, limit)


@router.get("/{container_id}", response_model=ContainerState)
def container(container_id: str, db: Db, _: Reader) -> ContainerState:
    """A container in service; a retired one's answer (404) says when, by whom and why."""
    state = get_state(db, container_id)
    if state is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(not_in_service(db, container_id)))
    return state


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ContainerState)
def register(body: ContainerIn, db: Db, _: Manager) -> ContainerState:
    try:
        register_container(db, body)
    except AlreadyRegistered as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    state = get_state(db, body.container_id)
    assert state is not None
    return state


@router.patch("/{container_id}", response_model=ContainerState)
def change(
    container_id: str, body: ContainerEdit, request: Request, db: Db, user: Manager
) -> ContainerState:
    """Correct or change a registered container: only the fields given change, and the
    container as changed must be one `POST` would register. Every change is kept on record
    (`GET /api/containers/{id}/changes`).

    A new `dev_eui` is a new sensor: its readings are stored for this container from its
    next uplink, with its own frame counter; the old sensor's uplinks go to quarantine, as an
    unknown device's. Stored readings keep their fill: ingest computes `fill_percent` when a
    reading arrives and stores it, so a new empty or full distance applies to readings from
    now on. Open maps get the new state (a moved container at its new place) from the stream.
    """
    try:
        before, after = change_container(db, container_id, body, user.username)
    except UnknownContainer as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except (DevEuiTaken, AlreadyRetired) as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except ValidationError as error:
        raise RequestValidationError(_in_body(error)) from error
    if after != before:
        db.commit()  # before ingest and the feed look again, so they find the change
        _announce(request, container_id, before.dev_eui, after.dev_eui)
    state = get_state(db, container_id)
    assert state is not None
    return state


@router.post("/{container_id}/retire", response_model=RetiredContainer)
def retire(
    container_id: str, body: Retirement, request: Request, db: Db, user: Manager
) -> RetiredContainer:
    """Take a container out of service (taken off the street, replaced by a new one under
    another id). It leaves the map, the route plans and the open data; its readings and
    changes stay on record, the retirement among the changes. Its open alerts are resolved,
    nothing being left to act on. Its sensor is no longer registered: later uplinks from it
    go to quarantine, and it may be fitted to another container (`POST` or `PATCH` with its
    `dev_eui`)."""
    try:
        with db.transaction():
            retired = retire_container(db, container_id, user.username, body.reason)
            outbox = resolve_all_of(
                db,
                "container",
                container_id,
                user.username,
                retired.retired_at,
                f"container retired: {body.reason}",
            )
    except UnknownContainer as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except AlreadyRetired as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    db.commit()  # before anyone is told, so they find the change
    hub: NotificationHub = request.app.state.hub
    hub.announce([Notification(*entry) for entry in notifications(db, outbox)])
    _announce(request, container_id, retired.dev_eui)
    return retired


@router.post("/{container_id}/reinstate", response_model=ContainerState)
def reinstate(
    container_id: str, request: Request, db: Db, user: Manager, body: Reinstatement | None = None
) -> ContainerState:
    """Put a retired container back in service: retired by mistake, or back on the street.
    It gets the sensor it had, or the one in the body (`dev_eui`, `codec`) when its own has
    been fitted to another container since (409 names that). It returns to the map, the
    route plans and the open data; its alerts resolved at the retirement stay resolved, and
    the rules raise them again from its next readings if they still hold."""
    try:
        container = reinstate_container(db, container_id, user.username, body or Reinstatement())
    except UnknownContainer as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except (InService, DevEuiTaken) as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except ValidationError as error:
        raise RequestValidationError(_in_body(error)) from error
    db.commit()  # before ingest and the feed look again, so they find the container
    _announce(request, container_id, container.dev_eui)
    state = get_state(db, container_id)
    assert state is not None
    return state


@router.get("/{container_id}/changes", response_model=list[ContainerChange])
def changes(
    container_id: str, db: Db, _: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[ContainerChange]:
    """The container's changes on record, the newest first: who, when, each field from what
    to what. A retired container's are kept, its retirement the last."""
    if get_state(db, container_id) is None and get_retired(db, container_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no container {container_id}")
    return list_changes(db, container_id, limit)


def _in_body(error: ValidationError) -> list[dict[str, object]]:
    """The problems of the changed container, placed in the request body as FastAPI places
    those of a body it refuses."""
    return [
        {**problem, "loc": ("body", *problem["loc"])} for problem in error.errors(include_url=False)
    ]


def _announce(request: Request, container_id: str, *dev_euis: str) -> None:
    """Ingest in this process looks the sensors up again (the old one is unknown now, the new
    one known, a new geometry used); open maps get the container's new state."""
    ingest: IngestService | None = request.app.state.ingest
    if ingest is not None:
        ingest.forget_devices(*dev_euis)
    feed: ContainerFeed = request.app.state.container_feed
    feed.changed(container_id)
