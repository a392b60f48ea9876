"""Settings of the platform, from the environment (prefix TILSYN_) or a `.env` file."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Weekday = Annotated[int, Field(ge=0, le=6)]  # Monday 0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TILSYN_", env_file=".env", extra="ignore")

    # Unset: the demo starts an embedded PostgreSQL / a local broker in `data_dir`.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TILSYN_DATABASE_URL")
    )
    mqtt_url: str | None = Field(
        default=None, validation_alias=AliasChoices("MQTT_URL", "TILSYN_MQTT_URL")
    )
    # The CA that signed the broker's certificate, for mqtts:// URLs (see docs/broker.md).
    mqtt_ca_file: str | None = None
    data_dir: Path = Path(".tilsyn")
    # Map tiles for the operator's map ({z}/{x}/{y} template); empty: bundled outlines only.
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # The TLS-terminating proxies whose X-Forwarded-For and X-Forwarded-Proto are believed
    # (addresses or networks, comma-separated). A proxy on another host must be named here:
    # otherwise every client has the proxy's address (one sign-in limit for the whole town)
    # and the session cookie is not marked Secure.
    http_trusted_proxies: str = "127.0.0.1"

    ingest_client_id: str = "tilsyn-ingest"
    # Empty (the default): one ingest on a persistent session of its own, which a broker killed
    # and restarted restores from its last autosave, queueing uplinks for it until it is back.
    # A group name: MQTT 5 shared subscription, workers in the group split the stream. Mosquitto
    # 2.0 does not restore shared subscriptions after a crash, so one worker of the group also
    # holds a catch-up session (ingest/catch_up.py) that stores what arrives meanwhile.
    ingest_share_group: str = ""
    # False: this worker never holds the group's catch-up session.
    ingest_catch_up: bool = True
    ingest_queue_size: int = Field(default=20_000, gt=0)
    ingest_batch_size: int = Field(default=2_000, gt=0)
    ingest_batch_seconds: float = Field(default=0.05, gt=0)

    # How long raw time series are kept, by kind of data. Aggregates are kept. At least a week:
    # TimescaleDB's daily rollups refresh over the days before retention (db/maintenance.py).
    retention_city_days: int = Field(default=400, ge=7)
    retention_health_days: int = Field(default=3650, ge=7)
    retention_hygiene_days: int = Field(default=730, ge=7)
    # How long ingest's bookkeeping is kept: uplinks of unknown devices (waiting for someone to
    # register them), dead letters, and the idempotency keys that tell a redelivery or replay
    # (a copy arriving after its key is deleted is stored again). Unset: the longest of the
    # above, so none is gone before the raw data it would have fed.
    retention_quarantine_days: int | None = Field(default=None, ge=7)
    retention_dead_letters_days: int | None = Field(default=None, ge=7)
    retention_ingest_keys_days: int | None = Field(default=None, ge=7)
    # How long alert notifications are kept for streams to replay and webhooks to take (one a
    # webhook has not taken yet is kept until it does). The alerts themselves are kept.
    retention_notifications_days: int = Field(default=90, ge=7)

    # Route planning. Solve budgets are short so that a request is answered within seconds.
    planning_timezone: str = "Europe/Copenhagen"
    night_plan_seconds: float = Field(default=2.0, gt=0)
    night_replan_seconds: float = Field(default=0.5, gt=0)
    # An alert during a night shift becomes a task to be started within this many minutes.
    night_urgent_within_minutes: int = Field(default=60, gt=0)
    night_urgent_service_minutes: int = Field(default=20, gt=0)
    collection_plan_seconds: float = Field(default=2.0, gt=0)  # shared by the kinds of waste
    # The next collection day is planned at this town time on the collection day before it,
    # so the operator finds it ready; "Plan now" re-plans from fresher readings.
    collection_plan_daily: bool = True
    collection_plan_at: time = time(15, 0)
    # The weekdays trucks work (Monday 0): the plan is for the next of them, and a container
    # left out must hold until the end of the shift on the one after.
    collection_weekdays: tuple[Weekday, ...] = Field(default=(0, 1, 2, 3, 4), min_length=1)
    # The collection fleet by kind of waste (trucks, disposal site, what a litre weighs): a
    # TOML file shaped like routing/herning_fleet.toml; Herning's when unset.
    collection_fleet_file: Path | None = None
