"""When each container will be full, from its fill rate since the last emptying."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from tilsyn.platform.alerts.rules_containers import HISTORY, hours_until_full
from tilsyn.platform.containers.emptying import since_last_emptying


def full_by(conn: psycopg.Connection, now: datetime) -> dict[str, datetime]:
    """Containers whose fill is rising, with the time they reach 100 % at the current rate."""
    rows = conn.execute(
        "SELECT container_id, time, fill_percent FROM container_readings"
        " WHERE time > %s AND time <= %s AND fill_percent IS NOT NULL"
        " ORDER BY container_id, time",
        (now - HISTORY, now),
    ).fetchall()
    series: dict[str, list[tuple[datetime, float]]] = {}
    for container_id, time, fill in rows:
        series.setdefault(container_id, []).append((time, fill))
    result = {}
    for container_id, readings in series.items():
        points = since_last_emptying(readings)
        hours = hours_until_full(points)
        if hours is not None:
            result[container_id] = points[-1][0] + timedelta(hours=hours)
    return result
