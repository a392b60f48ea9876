"""The FastAPI application: routers, the database pool and the static web pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from psycopg_pool import ConnectionPool

import tilsyn
from tilsyn.platform.api.routes import containers, health, ingest
from tilsyn.platform.ingest.service import IngestService

WEB_DIR = Path(__file__).parent.parent / "web" / "static"


def create_app(database_url: str, ingest_service: IngestService | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ConnectionPool(database_url, min_size=1, max_size=10, open=True) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(
        title="Tilsyn",
        version=tilsyn.__version__,
        description="Sensor platform for municipal welfare and city operations.",
        lifespan=lifespan,
    )
    app.state.ingest = ingest_service
    for module in (containers, ingest, health):
        app.include_router(module.router)
    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app
