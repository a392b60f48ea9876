"""Running the platform: migrations, ingest and the HTTP server in one process."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
import uvicorn

from tilsyn.platform.api.app import create_app
from tilsyn.platform.config import Settings
from tilsyn.platform.db.migrate import apply_migrations
from tilsyn.platform.ingest.service import IngestService

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


def serve(settings: Settings, database_url: str, mqtt_url: str) -> None:
    """Blocks until Ctrl-C or SIGTERM, then stops ingest after the HTTP server."""
    migrate(database_url)
    ingest = IngestService(settings, database_url, mqtt_url)
    ingest.start()
    try:
        app = create_app(database_url, ingest)
        config = uvicorn.Config(
            app, host=settings.http_host, port=settings.http_port, log_level="warning"
        )
        server = uvicorn.Server(config)
        log.info("serving on http://%s:%d", settings.http_host, settings.http_port)
        server.run()
    finally:
        ingest.stop()
