"""Running the platform: migrations, ingest and the HTTP server in one process."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from pathlib import Path

import psycopg
import uvicorn
from fastapi import FastAPI

from tilsyn.mqtt import MqttConnection
from tilsyn.platform.alerts.engine import AlertEngine
from tilsyn.platform.alerts.hub import NotificationHub
from tilsyn.platform.alerts.webhooks import WebhookDispatcher
from tilsyn.platform.api.app import create_app
from tilsyn.platform.background import Periodic
from tilsyn.platform.config import Settings
from tilsyn.platform.containers.feed import ContainerFeed
from tilsyn.platform.db.maintenance import MaintenanceRunner, Retention
from tilsyn.platform.db.migrate import apply_migrations
from tilsyn.platform.ingest.service import IngestService
from tilsyn.platform.patients.hub_config import ConfigPusher
from tilsyn.platform.planning.daily_collection import DailyCollectionPlanner
from tilsyn.platform.streams import end_streams_on

log = logging.getLogger(__name__)

# While the demo runs, its embedded database's address is written here for other commands.
EMBEDDED_URL_FILE = "postgres.url"


def migrate(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return len(apply_migrations(conn))


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded server of a demo running on this data directory."""
    if settings.database_url:
        return settings.database_url
    url_file = Path(settings.data_dir) / EMBEDDED_URL_FILE
    if url_file.exists():
        return url_file.read_text().strip()
    raise SystemExit("no database: set DATABASE_URL, or start the demo with `make demo`")


def serve_until_stopped(
    settings: Settings,
    database_url: str,
    mqtt_url: str,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Blocks until Ctrl-C or SIGTERM, then stops ingest after the HTTP server."""
    migrate(database_url)
    hub = NotificationHub()
    engine = AlertEngine(database_url, hub)
    engine.start()
    webhooks = WebhookDispatcher(database_url)
    webhooks.start()
    maintenance = MaintenanceRunner(
        database_url,
        Retention(
            settings.retention_city_days,
            settings.retention_health_days,
            settings.retention_hygiene_days,
            quarantine_days=settings.retention_quarantine_days,
            dead_letters_days=settings.retention_dead_letters_days,
            ingest_keys_days=settings.retention_ingest_keys_days,
            notifications_days=settings.retention_notifications_days,
        ),
    )
    maintenance.start()
    planner = DailyCollectionPlanner(database_url, settings, hub)
    if settings.collection_plan_daily:
        planner.start()
    feed = ContainerFeed()
    ingest = IngestService(
        settings, database_url, mqtt_url, observers=[engine.observe, feed.observe]
    )
    ingest.start()
    config_mqtt = MqttConnection(
        mqtt_url, f"{settings.ingest_client_id}-config", ca_file=settings.mqtt_ca_file
    )
    config_mqtt.connect()
    pusher = ConfigPusher(database_url, config_mqtt)
    hub_configs = Periodic("hub-config-push", pusher.push_changed, 5.0, at_once=True)
    hub_configs.start()
    try:
        app = create_app(database_url, ingest, hub, feed, settings)
        config = http_config(app, settings)
        log.info("serving on http://%s:%d", settings.http_host, settings.http_port)
        ReadyServer(config, on_ready).run()
    except KeyboardInterrupt:
        pass  # uvicorn has shut down on Ctrl-C and re-raised it; stopping is what was asked
    finally:
        hub_configs.stop()
        config_mqtt.close()
        ingest.stop()
        engine.stop()
        webhooks.stop()
        maintenance.stop()
        if settings.collection_plan_daily:
            planner.stop()


def http_config(app: FastAPI, settings: Settings, port: int | None = None) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port if port is None else port,
        log_level="warning",
        # ReadyServer ends the live streams at shutdown; a slow request gets this long.
        timeout_graceful_shutdown=3,
        proxy_headers=True,
        forwarded_allow_ips=settings.http_trusted_proxies,
    )


class ReadyServer(uvicorn.Server):
    """uvicorn's server, telling us when it listens (the demo prints its address then), and
    ending the live streams when it stops."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self._on_ready is not None and self.started:
            self._on_ready()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Live streams end first, so that stopping waits for no one and cancels nothing.
        end_streams_on(asyncio.get_running_loop())
        await super().shutdown(sockets)
