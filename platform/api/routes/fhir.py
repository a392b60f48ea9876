"""FHIR R4 read access to vital signs, for electronic patient records. Every read is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User, audit
from tilsyn.platform.export.fhir import observations_from_rows, searchset_bundle
from tilsyn.platform.export.fhir_dates import date_range
from tilsyn.platform.export.fhir_search import query_vitals, read_vital

router = APIRouter(prefix="/fhir", tags=["fhir"])
Clinician = Annotated[User, Depends(allowed("read_patients"))]
FHIR_JSON = "application/fhir+json"


@router.get("/Observation")
def search_observations(
    request: Request,
    db: Db,
    user: Clinician,
    patient: str,
    code: Annotated[list[str] | None, Query()] = None,
    date: Annotated[list[str] | None, Query()] = None,
    count: Annotated[int, Query(alias="_count", ge=1, le=1000)] = 100,
) -> JSONResponse:
    """A searchset Bundle of vital signs: `patient`, `code`, `date=ge..&date=le..`."""
    patient_id = patient.removeprefix("Patient/")
    try:
        since, until = date_range(date or [])
    except ValueError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    try:
        rows = query_vitals(db, patient_id, code or [], since, until, count)
    except ValueError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    audit(db, user, "fhir_search", patient_id, {"code": code, "date": date})
    resources = observations_from_rows(rows)
    base = str(request.base_url).rstrip("/") + "/fhir"
    return _fhir(searchset_bundle(resources, base, str(request.url)))


@router.get("/Observation/{observation_id}")
def read_observation(observation_id: str, db: Db, user: Clinician) -> JSONResponse:
    rows = read_vital(db, observation_id)
    resources = observations_from_rows(rows)
    if not resources:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no Observation {observation_id}")
    audit(db, user, "fhir_read", rows[0].patient_id, {"observation": observation_id})
    return _fhir(resources[0])


def _fhir(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, media_type=FHIR_JSON)
