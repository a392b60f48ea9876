"""Containers: register them, and read their latest fill state."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import StreamingResponse

from tilsyn.platform.api.deps import Db, SessionWatch, allowed
from tilsyn.platform.auth.store import User
from tilsyn.platform.containers.feed import ContainerFeed
from tilsyn.platform.containers.models import ContainerIn, ContainerState
from tilsyn.platform.containers.store import (
    AlreadyRegistered,
    get_state,
    list_states,
    register_container,
)

router = APIRouter(prefix="/api/containers", tags=["containers"])
Reader = Annotated[User, Depends(allowed("read_containers"))]
Manager = Annotated[User, Depends(allowed("manage_containers"))]
KEEPALIVE_S = 15.0


@router.get("", response_model=list[ContainerState])
def containers(db: Db, _: Reader) -> list[ContainerState]:
    """Every container with its latest reading (fields are null until the first one arrives)."""
    return list_states(db)


@router.get("/stream")
async def stream(request: Request, _: Reader) -> StreamingResponse:
    """Server-Sent Events: one `fill` event per batch of containers whose state changed
    (a list shaped like `GET /api/containers`). Read the full list on (re)connecting."""
    feed: ContainerFeed = request.app.state.container_feed
    queue = feed.streams.subscribe()
    session = SessionWatch(request, every_s=KEEPALIVE_S)  # batches come often: look now and then

    async def events() -> AsyncIterator[str]:
        try:
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                try:
                    batch = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    if await session.ended():
                        return  # signed out, expired or made inactive: nothing more
                    yield ": keep-alive\n\n"
                    continue
                if batch is None or await session.ended():
                    return  # too slow (the client reconnects and re-reads), or signed out
                data = json.dumps([state.model_dump(mode="json") for state in batch])
                yield f"event: fill\ndata: {data}\n\n"
        finally:
            feed.streams.unsubscribe(queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/{container_id}", response_model=ContainerState)
def container(container_id: str, db: Db, _: Reader) -> ContainerState:
    state = get_state(db, container_id)
    if state is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no container {container_id}")
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
