"""When each container will be full, from its fill rate since the last emptying."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from tilsyn.platform.alerts.rules_containers import HISTORY, fill_slope, hours_until_full
from tilsyn.platform.containers.emptying import Reading, since_last_emptying


def full_by(conn: psycopg.Connection, now: datetime) -> dict[str, datetime]:
    """Containers whose fill is rising, with the time they reach 100 % at the current rate."""
    result = {}
    for container_id, readings in _recent(conn, now).items():
        points = since_last_emptying(readings)
        hours = hours_until_full(points)
        if hours is not None:
            result[container_id] = points[-1][0] + timedelta(hours=hours)
    return result


def fill_rates(conn: psycopg.Connection, now: datetime) -> dict[str, float]:
    """Each container's fill rate (fraction per hour, 0 when flat or falling) over the
    `HISTORY` before its latest fill reading: for a sensor gone silent, the rate it last
    measured. A container missing has too few readings since its last emptying."""
    rows = conn.execute(
        "SELECT r.container_id, r.time, r.fill_percent FROM container_latest l"
        " JOIN container_readings r ON r.container_id = l.container_id"
        " AND r.time > least(l.fill_at, %(now)s) - %(history)s"
        " AND r.time <= least(l.fill_at, %(now)s)"
        " WHERE l.fill_at IS NOT NULL AND r.fill_percent IS NOT NULL"
        " ORDER BY r.container_id, r.time",
        {"now": now, "history": HISTORY},
    ).fetchall()
    rates = {}
    for container_id, readings in _by_container(rows).items():
        slope = fill_slope(since_last_emptying(readings))
        if slope is not None:
            rates[container_id] = max(0.0, slope) / 100
    return rates


def _recent(conn: psycopg.Connection, now: datetime) -> dict[str, list[Reading]]:
    rows = conn.execute(
        "SELECT container_id, time, fill_percent FROM container_readings"
        " WHERE time > %s AND time <= %s AND fill_percent IS NOT NULL"
        " ORDER BY container_id, time",
        (now - HISTORY, now),
    ).fetchall()
    return _by_container(rows)


def _by_container(rows: list[tuple[str, datetime, float]]) -> dict[str, list[Reading]]:
    series: dict[str, list[Reading]] = {}
    for container_id, time, fill in rows:
        series.setdefault(container_id, []).append((time, fill))
    return series
