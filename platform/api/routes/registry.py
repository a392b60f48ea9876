"""The registry over HTTP: wards with their zones, dispensers, badges, patients and home hubs.

Containers register under `/api/containers`. Ingest looks up a device it has not cached in the
registry, so a device registered here is recognised from its next message on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import psycopg
from fastapi import APIRouter, Depends, HTTPException, status

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User, audit
from tilsyn.platform.registry.models import (
    BadgeIn,
    DispenserIn,
    HubIn,
    PatientHome,
    PatientIn,
    WardIn,
)
from tilsyn.platform.registry.store import (
    register_badge,
    register_dispenser,
    register_hub,
    register_patient,
    register_ward,
    set_patient_home,
)

router = APIRouter(prefix="/api/registry", tags=["registry"])
Registrar = Annotated[User, Depends(allowed("manage_registry"))]
HomeEditor = Annotated[User, Depends(allowed("edit_patient_home"))]
Item = TypeVar("Item")


@contextmanager
def _registering(what: str) -> Iterator[None]:
    """A duplicate is a conflict; a reference to something not registered is the client's to fix."""
    try:
        yield
    except psycopg.errors.UniqueViolation as error:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{what} is already registered") from error
    except psycopg.errors.ForeignKeyViolation as error:
        detail = error.diag.message_detail or str(error)
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{what} refers to something unknown: {detail}"
        ) from error


def _register(
    db: Db, what: str, register: Callable[[psycopg.Connection, Item], None], item: Item
) -> Item:
    with _registering(what), db.transaction():
        register(db, item)
    return item


@router.post("/wards", status_code=status.HTTP_201_CREATED, response_model=WardIn)
def ward(body: WardIn, db: Db, _: Registrar) -> WardIn:
    return _register(db, f"ward {body.ward_id} (or one of its zones)", register_ward, body)


@router.post("/dispensers", status_code=status.HTTP_201_CREATED, response_model=DispenserIn)
def dispenser(body: DispenserIn, db: Db, _: Registrar) -> DispenserIn:
    return _register(db, f"dispenser {body.dev_eui}", register_dispenser, body)


@router.post("/badges", status_code=status.HTTP_201_CREATED, response_model=BadgeIn)
def badge(body: BadgeIn, db: Db, _: Registrar) -> BadgeIn:
    return _register(db, f"badge {body.dev_eui}", register_badge, body)


@router.post("/patients", status_code=status.HTTP_201_CREATED, response_model=PatientIn)
def patient(body: PatientIn, db: Db, user: Registrar) -> PatientIn:
    registered = _register(db, f"patient {body.patient_id}", register_patient, body)
    audit(db, user, "register_patient", body.patient_id, {"unit": body.unit})
    return registered


@router.put("/patients/{patient_id}/home", response_model=PatientHome)
def home(patient_id: str, body: PatientHome, db: Db, user: HomeEditor) -> PatientHome:
    """Where a night nurse goes for this patient's alerts and visits."""
    if not set_patient_home(db, patient_id, body):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no patient {patient_id}")
    audit(db, user, "set_home", patient_id)
    return body


@router.post("/hubs", status_code=status.HTTP_201_CREATED, response_model=HubIn)
def hub(body: HubIn, db: Db, _: Registrar) -> HubIn:
    return _register(db, f"hub {body.hub_id}", register_hub, body)
