"""Containers with a history of fill readings, for the collection planner's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from tilsyn.platform.config import Settings
from tilsyn.platform.containers.models import ContainerIn
from tilsyn.platform.containers.store import register_container

# (id, fill now %, rise per hour %): full ones, one on its way, and nearly empty ones.
CONTAINERS = [
    ("FULL1", 92, 1.5),
    ("FULL2", 85, 1.0),
    ("FULL3", 99, 2.0),
    ("RISING", 60, 1.2),
    ("EMPTY1", 5, 0.1),
    ("EMPTY2", 10, 0.05),
]


KIND_OF = {c[0]: "glass" if index % 2 else "paper" for index, c in enumerate(CONTAINERS)}


def seed(
    conn: psycopg.Connection,
    now: datetime | None = None,
    containers: list[tuple[str, float, float]] = CONTAINERS,
) -> None:
    """Each container with 12 hourly readings rising at its rate up to its fill `now`."""
    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for index, (container_id, fill, rate) in enumerate(containers):
        dev_eui = f"{0xA84041000100 + index:016x}"
        register_container(
            conn,
            ContainerIn(
                container_id=container_id,
                dev_eui=dev_eui,
                waste_kind=KIND_OF.get(container_id, "residual"),
                capacity_litres=2500,
                empty_distance_mm=1800,
                full_distance_mm=300,
                latitude=56.13 + 0.005 * index,
                longitude=8.95 + 0.008 * index,
            ),
        )
        readings = [
            (now - timedelta(hours=h), max(0.0, fill - rate * h)) for h in range(12, -1, -1)
        ]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO container_readings (time, container_id, dev_eui, fill_percent)"
                " VALUES (%s, %s, %s, %s)",
                [(at, container_id, dev_eui, value) for at, value in readings],
            )
        conn.execute(
            "INSERT INTO container_latest (container_id, time, fill_percent, fill_at)"
            " VALUES (%s, %s, %s, %s)",
            (container_id, now, fill, now),
        )


def fleet_settings(folder: Path, fleet_toml: str) -> Settings:
    """Quick planning with the collection fleet the TOML text describes (written to `folder`)."""
    fleet_file = folder / "fleet.toml"
    fleet_file.write_text(fleet_toml, encoding="utf-8")
    return Settings(collection_plan_seconds=1.0, collection_fleet_file=fleet_file)
