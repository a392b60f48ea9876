"""Container rows in the database: registration and the latest state for the map and the API."""

from __future__ import annotations

import psycopg
from psycopg.rows import class_row

from tilsyn.platform.containers.models import ContainerIn, ContainerState


class AlreadyRegistered(ValueError):
    pass


def register_container(conn: psycopg.Connection, container: ContainerIn) -> None:
    """Register the sensor and its container together, or neither."""
    try:
        with conn.transaction():
            conn.execute(
                "INSERT INTO devices (device_id, family, codec) VALUES (%s, 'container', %s)",
                (container.dev_eui, container.codec),
            )
            conn.execute(
                """INSERT INTO containers (container_id, dev_eui, waste_kind, capacity_litres,
                       empty_distance_mm, full_distance_mm, latitude, longitude, address,
                       reporting_interval_s)
                   VALUES (%(container_id)s, %(dev_eui)s, %(waste_kind)s, %(capacity_litres)s,
                       %(empty_distance_mm)s, %(full_distance_mm)s, %(latitude)s, %(longitude)s,
                       %(address)s, %(reporting_interval_s)s)""",
                container.model_dump(),
            )
    except psycopg.errors.UniqueViolation as error:
        raise AlreadyRegistered(
            f"container {container.container_id} or device {container.dev_eui} is registered"
        ) from error


_STATE_QUERY = """
    SELECT c.container_id, c.dev_eui, c.waste_kind, c.capacity_litres, c.latitude, c.longitude,
           c.address, c.empty_distance_mm, c.full_distance_mm, l.time, l.distance_mm,
           l.fill_percent, l.fill_at, l.battery_percent, l.tilt, l.temperature_c
    FROM containers c LEFT JOIN container_latest l USING (container_id)
"""


def list_states(conn: psycopg.Connection) -> list[ContainerState]:
    with conn.cursor(row_factory=class_row(ContainerState)) as cur:
        return cur.execute(_STATE_QUERY + " ORDER BY c.container_id").fetchall()


def get_states(conn: psycopg.Connection, container_ids: list[str]) -> list[ContainerState]:
    with conn.cursor(row_factory=class_row(ContainerState)) as cur:
        query = _STATE_QUERY + " WHERE c.container_id = ANY(%s) ORDER BY c.container_id"
        return cur.execute(query, (container_ids,)).fetchall()


def get_state(conn: psycopg.Connection, container_id: str) -> ContainerState | None:
    with conn.cursor(row_factory=class_row(ContainerState)) as cur:
        return cur.execute(_STATE_QUERY + " WHERE c.container_id = %s", (container_id,)).fetchone()
