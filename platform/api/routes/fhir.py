"""FHIR R4 read access to vital signs, for electronic patient records. Every read is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse

from tilsyn.platform.alerts.periodic import LOCAL_ZONE
from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User, audit
from tilsyn.platform.export.fhir import observations_from_rows, searchset_bundle
from tilsyn.platform.export.fhir_dates import date_range
from tilsyn.platform.export.fhir_search import read_vital, search_vitals

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
    cursor: Annotated[str | None, Query(alias="_cursor")] = None,
) -> JSONResponse:
    """A searchset Bundle of vital signs: `patient`, `code`, `date=ge..&date=le..`, newest
    first, `_count` a page; `total` counts every match and the `next` link gives the rest.

    A date or dateTime without a zone is read in the service's zone, so a day is a local day.
    """
    patient_id = patient.removeprefix("Patient/")
    try:
        since, until = date_range(date or [], default_zone=LOCAL_ZONE)
        page = search_vitals(db, patient_id, code or [], since, until, count, cursor)
    except ValueError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    resources = observations_from_rows(page.rows)
    # Each page is a read of the patient's data, so each is audited.
    detail = {"code": code, "date": date, "cursor": cursor, "observations": len(resources)}
    audit(db, user, "fhir_search", patient_id, detail)
    base = str(request.base_url).rstrip("/") + "/fhir"
    next_link = None
    if page.next_cursor is not None:
        next_link = str(request.url.include_query_params(_cursor=page.next_cursor, _count=count))
    bundle = searchset_bundle(
        resources, base, str(request.url), total=page.total, next_link=next_link
    )
    return _fhir(bundle)


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
