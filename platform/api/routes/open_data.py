"""Containers for smart-city platforms and GIS (NGSI-LD WasteContainer, GeoJSON), streamed CSV
of any time series, and Prometheus metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST

from tilsyn.platform.api.deps import CurrentUser, Db, allowed
from tilsyn.platform.auth.roles import CAN
from tilsyn.platform.auth.store import User
from tilsyn.platform.containers.emptying import last_emptied
from tilsyn.platform.containers.forecast import full_by
from tilsyn.platform.containers.store import list_states
from tilsyn.platform.export.audit import PATIENT_TABLES, audit_export
from tilsyn.platform.export.csv_stream import TABLES, stream_csv
from tilsyn.platform.export.fiware import waste_container_entity
from tilsyn.platform.export.geojson import containers_feature_collection
from tilsyn.platform.export.metrics import render

router = APIRouter(tags=["open data"])
Reader = Annotated[User, Depends(allowed("read_containers"))]
NGSI_LD_JSON = "application/ld+json"
# Who may export which table: the capability that reading the same data needs.
CSV_CAPABILITY = {
    "container_readings": "read_containers",
    "dispenser_status": "read_hygiene",
    "dispenser_uses": "read_hygiene",
    "hygiene_compliance_counts": "read_hygiene",
    "vital_observations": "read_patients",
    "questionnaire_answers": "read_patients",
}


@router.get("/ngsi-ld/v1/entities")
def waste_containers(db: Db, _: Reader, type: str = "WasteContainer") -> JSONResponse:
    """Every container as an NGSI-LD normalized WasteContainer entity."""
    if type != "WasteContainer":
        return JSONResponse([], media_type=NGSI_LD_JSON)
    return JSONResponse(_entities(db), media_type=NGSI_LD_JSON)


@router.get("/ngsi-ld/v1/entities/{entity}")
def waste_container(entity: str, db: Db, _: Reader) -> JSONResponse:
    for found in _entities(db):
        if found["id"] == entity:
            return JSONResponse(found, media_type=NGSI_LD_JSON)
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"no entity {entity}")


def _entities(db: Db) -> list[dict[str, Any]]:
    """Entities with `nextActuationDeadline` (the fill forecast) and `dateLastEmptying`."""
    now = datetime.now(UTC)
    deadlines = full_by(db, now)
    emptied = last_emptied(db, now - timedelta(days=60))
    return [
        waste_container_entity(
            state, deadlines.get(state.container_id), last_emptied=emptied.get(state.container_id)
        )
        for state in list_states(db)
    ]


@router.get("/api/geojson/containers")
def containers_geojson(db: Db, _: Reader) -> JSONResponse:
    """RFC 7946 FeatureCollection: positions are [longitude, latitude]."""
    body = containers_feature_collection(list_states(db))
    return JSONResponse(body, media_type="application/geo+json")


@router.get("/api/export/csv/{table}")
def export_csv(
    table: str,
    request: Request,
    user: CurrentUser,
    start: datetime,
    end: datetime,
    key: str | None = None,
) -> StreamingResponse:
    """Rows with start <= time < end, streamed as read (never the whole range in memory)."""
    if table not in TABLES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no exportable table {table}")
    if user.role not in CAN[CSV_CAPABILITY[table]]:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"the {user.role} role may not export {table}"
        )
    if key is not None and "\x00" in key:
        # The CSV streams after the answer has begun: what the database would refuse must be
        # refused before, or the client gets 200 and an empty body.
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "key holds a NUL character")
    pool = request.app.state.pool

    def audited(snapshot: str) -> None:
        with pool.connection() as conn:
            audit_export(conn, snapshot, (user.username, user.role), table, start, end, key)

    def body() -> Any:
        with pool.connection() as conn:
            on_snapshot = audited if table in PATIENT_TABLES else None
            yield from stream_csv(conn, table, start, end, key, on_snapshot=on_snapshot)

    filename = f"{table}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return StreamingResponse(
        body(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, db: Db) -> Response:
    """Prometheus text format. Holds no personal data; restrict it at the network edge."""
    platform_metrics = request.app.state.metrics
    ingest = request.app.state.ingest
    if ingest is not None:
        s = ingest.stats
        platform_metrics.set_ingest_totals(
            stored=s.stored,
            duplicate=s.duplicates,
            quarantined=s.quarantined,
            dead_letter=s.dead_letters,
        )
        platform_metrics.set_queue_depth(ingest.queue_depth)
    open_alerts = db.execute(
        "SELECT severity, count(*) FROM alerts WHERE state <> 'resolved' GROUP BY severity"
    ).fetchall()
    platform_metrics.set_alerts_open({"info": 0, "warning": 0, "critical": 0, **dict(open_alerts)})
    pool = request.app.state.pool.get_stats()
    platform_metrics.set_pool(
        size=pool.get("pool_size", 0),
        available=pool.get("pool_available", 0),
        waiting=pool.get("requests_waiting", 0),
    )
    return Response(render(platform_metrics.registry), media_type=CONTENT_TYPE_LATEST)
