"""The platform as the screens need it, for the browser tests and scripts/screenshots.py: the
app with the hygiene and history routes and the contract doubles, on seeded data."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from contract_doubles import NightPlanDouble, RoutePlanDouble, VisitRequestDouble, task
from fastapi import FastAPI
from seed import HERNING, seed_containers, seed_hygiene, seed_patients, seed_users

from tilsyn.platform.alerts.engine import AlertEngine
from tilsyn.platform.alerts.hub import NotificationHub
from tilsyn.platform.api.app import create_app
from tilsyn.platform.api.routes import history, hygiene

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@dataclass
class Platform:
    app: FastAPI
    engine: AlertEngine
    night: NightPlanDouble
    routes: RoutePlanDouble
    visits: VisitRequestDouble


def first_night() -> list[dict[str, object]]:
    return [
        task("T1", 1, "Birk", 20, "Insulin, evening dose"),
        task("T2", 2, "Gullestrup", 60, "Wound dressing"),
        task("T3", 3, "Lind", 120, "Turning and pain relief"),
    ]


def seed_everything(database_url: str, containers: int = 30) -> None:
    with psycopg.connect(database_url) as conn:
        seed_users(conn)
        seed_containers(conn, containers)
        seed_patients(conn)
        seed_hygiene(conn)


def build_platform(database_url: str) -> Platform:
    """The app with an alert engine feeding its live stream (started; stop it when done)."""
    hub = NotificationHub()
    engine = AlertEngine(database_url, hub, periodic_seconds=3600)
    with psycopg.connect(database_url) as conn:
        stops = conn.execute(
            "SELECT c.latitude, c.longitude, c.capacity_litres * l.fill_percent / 100"
            " FROM containers c JOIN container_latest l USING (container_id)"
            " WHERE l.fill_percent >= 80 ORDER BY c.container_id"
        ).fetchall()
    night = NightPlanDouble(first_night())
    routes = RoutePlanDouble(HERNING, [(lat, lon, litres) for lat, lon, litres in stops], trucks=3)
    visits = VisitRequestDouble()
    app = create_app(database_url, hub=hub)
    known = {getattr(route, "path", None) for route in app.routes}
    for router in (
        hygiene.router,
        history.router,
        night.router(),
        routes.router(),
        visits.router(),
    ):
        if not any(getattr(route, "path", None) in known for route in router.routes):
            app.include_router(router)  # only what create_app does not serve: the doubles
    # Static files are mounted at "/" and would shadow routers added after the mount.
    app.router.routes.sort(key=lambda route: getattr(route, "name", "") == "web")
    engine.start()
    return Platform(app, engine, night, routes, visits)
