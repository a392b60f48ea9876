"""Containers: register them, and read their latest fill state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User
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


@router.get("", response_model=list[ContainerState])
def containers(db: Db, _: Reader) -> list[ContainerState]:
    """Every container with its latest reading (fields are null until the first one arrives)."""
    return list_states(db)


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
