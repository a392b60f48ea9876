"""The FastAPI application: routers, the database pool, live alert streams and the web pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from psycopg_pool import ConnectionPool

import tilsyn
from tilsyn.platform.alerts.hub import NotificationHub, OutboxNotices
from tilsyn.platform.api.invalid_input import invalid_request
from tilsyn.platform.api.no_store import NoStoreMiddleware
from tilsyn.platform.api.routes import (
    admin,
    alerts,
    auth,
    containers,
    fhir,
    health,
    history,
    hubs,
    hygiene,
    ingest,
    night,
    open_data,
    patients,
    questionnaires,
    registry,
    route_plans,
    site_config,
    visits,
)
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.feed import ContainerFeed, ContainerNotices
from tilsyn.platform.db.listener import ChangeListener, Channel
from tilsyn.platform.export.metrics import PlatformMetrics, RequestLatencyMiddleware
from tilsyn.platform.ingest.service import IngestService
from tilsyn.platform.planning.alert_tasks import follow_alerts
from tilsyn.platform.planning.night_service import NightService

WEB_DIR = Path(__file__).parent.parent / "web" / "static"


def create_app(
    database_url: str,
    ingest_service: IngestService | None = None,
    hub: NotificationHub | None = None,
    container_feed: ContainerFeed | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    notification_hub = hub or NotificationHub()
    feed = container_feed or ContainerFeed()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What other processes change (another ingest worker's alerts and readings, a
        # registration from the command line) reaches this one's live views and ingest.
        channels: list[Channel] = [OutboxNotices(notification_hub), ContainerNotices(feed)]
        if ingest_service is not None:
            channels += ingest_service.change_channels()
        listener = ChangeListener(database_url, channels)
        listener.start()
        try:
            with ConnectionPool(database_url, min_size=1, max_size=10, open=True) as pool:
                app.state.pool = pool
                app.state.change_listener = listener
                feeding = asyncio.create_task(feed.run(pool), name="container-feed")
                app.state.night = NightService(pool, app.state.settings, hub=notification_hub)
                # Critical patient alerts during a night shift become urgent night tasks.
                following = asyncio.create_task(
                    follow_alerts(notification_hub, app.state.night.absorb_alerts),
                    name="night-alerts",
                )
                yield
                for task in (feeding, following):
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task
        finally:
            await asyncio.to_thread(listener.stop)

    app = FastAPI(
        title="Tilsyn",
        version=tilsyn.__version__,
        description="Sensor platform for municipal welfare and city operations.",
        lifespan=lifespan,
    )
    app.state.ingest = ingest_service
    app.state.hub = notification_hub
    app.state.settings = settings or Settings()
    app.state.container_feed = feed
    app.state.metrics = PlatformMetrics()
    app.add_middleware(RequestLatencyMiddleware, metrics=app.state.metrics)
    app.add_middleware(NoStoreMiddleware)
    app.add_exception_handler(RequestValidationError, invalid_request)
    for module in (
        auth,
        containers,
        history,
        hygiene,
        alerts,
        patients,
        questionnaires,
        hubs,
        ingest,
        admin,
        fhir,
        open_data,
        health,
        night,
        route_plans,
        visits,
        registry,
        site_config,
    ):
        app.include_router(module.router)
    app.mount("/", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app
