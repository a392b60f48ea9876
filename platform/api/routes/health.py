"""Liveness for load balancers and the demo's start-up check."""

from __future__ import annotations

from fastapi import APIRouter

from tilsyn.platform.api.deps import Db
from tilsyn.platform.db.migrate import current_backend

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(db: Db) -> dict[str, str]:
    return {"status": "ok", "storage": current_backend(db)}
