"""How well each container's sensor gets through: uplinks stored and uplinks missing by their
frame counts (ingest/uplink_counts.py), so the operator sees a sensor deep in a steel
container or a gateway out of reach."""

from __future__ import annotations

import psycopg

from tilsyn.platform.ingest.uplink_counts import UplinkCounts, uplink_counts


class SensorLink(UplinkCounts):
    container_id: str
    dev_eui: str


def sensor_links(conn: psycopg.Connection, days: int) -> list[SensorLink]:
    """Every container's sensor over the last `days`, the largest share missing first (those
    with nothing stored last)."""
    counts = uplink_counts(conn, days)
    containers = conn.execute("SELECT container_id, dev_eui FROM containers").fetchall()
    links = [
        SensorLink(
            container_id=container_id,
            dev_eui=dev_eui,
            **counts.get(dev_eui, UplinkCounts()).model_dump(exclude={"missing_percent"}),
        )
        for container_id, dev_eui in containers
    ]
    return sorted(
        links,
        key=lambda link: (
            link.missing_percent is None,
            -(link.missing_percent or 0.0),
            -link.missing,
            link.container_id,
        ),
    )
