"""The platform as the screens need it, for the browser tests and scripts/screenshots.py: the
app on seeded data, with an alert engine feeding it."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from fastapi import FastAPI
from seed import seed_containers, seed_hygiene, seed_night, seed_patients, seed_users

from tilsyn.platform.alerts.engine import AlertEngine
from tilsyn.platform.alerts.hub import NotificationHub
from tilsyn.platform.api.app import create_app
from tilsyn.platform.config import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Short solver budgets: a page waits for the plan.
QUICK = Settings(night_plan_seconds=1.0, night_replan_seconds=0.5, collection_plan_seconds=2.0)


@dataclass
class Platform:
    app: FastAPI
    engine: AlertEngine


def seed_everything(database_url: str, containers: int = 30) -> None:
    with psycopg.connect(database_url) as conn:
        seed_users(conn)
        seed_containers(conn, containers)
        seed_patients(conn)
        seed_hygiene(conn)
        seed_night(conn)


def build_platform(database_url: str) -> Platform:
    """The app with an alert engine feeding its live streams (started; stop it when done)."""
    hub = NotificationHub()
    engine = AlertEngine(database_url, hub, periodic_seconds=3600)
    app = create_app(database_url, hub=hub, settings=QUICK)
    engine.start()
    return Platform(app, engine)
