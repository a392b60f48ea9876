"""How well each container's sensor gets through: uplinks stored, and uplinks missing.

A LoRaWAN device numbers its uplinks (fCnt), and ingest keeps the number of every frame it
stored as an idempotency key (`fc:<dev_eui>:<session>:<fCnt>`, see ingest/outcomes.py). Numbers
between the lowest and the highest of a session that have no key are uplinks the platform
never stored: lost on the radio (a sensor deep in a steel container, a gateway down), or
refused (their reasons are in the dead letters). A rejoin starts a new session, counted again
from zero, so sessions are counted apart. A sensor that went silent shows here only by its
last uplink; the silent-container alert is what watches it.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg.rows import class_row
from pydantic import BaseModel, Field, computed_field

# Ingest's keys are kept at least a week (retention_ingest_keys_days): longer windows could
# miss the oldest frames without saying so.
MAX_DAYS = 7


class SensorLink(BaseModel):
    container_id: str
    dev_eui: str
    received: int = Field(description="uplinks stored in the window")
    missing: int = Field(description="frame counts in the window's sessions with no stored uplink")
    sessions: int = Field(description="LoRaWAN sessions seen in the window (a rejoin opens one)")
    last_heard: datetime | None = Field(description="when the latest uplink was stored")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def missing_percent(self) -> float | None:
        sent = self.received + self.missing
        return round(100 * self.missing / sent, 1) if sent else None


_LINKS_QUERY = """
    WITH frames AS (
        SELECT split_part(key, ':', 2) AS dev_eui, split_part(key, ':', 3) AS session,
               split_part(key, ':', 4)::bigint AS fcnt, seen_at
        FROM ingest_keys
        WHERE key LIKE 'fc:%%' AND seen_at > now() - make_interval(days => %(days)s)
    ), sessions AS (
        SELECT dev_eui, count(*) AS received, max(fcnt) - min(fcnt) + 1 - count(*) AS missing,
               max(seen_at) AS last_heard
        FROM frames GROUP BY dev_eui, session
    )
    SELECT c.container_id, c.dev_eui, coalesce(sum(s.received), 0)::int AS received,
           coalesce(sum(s.missing), 0)::int AS missing, count(s.dev_eui)::int AS sessions,
           max(s.last_heard) AS last_heard
    FROM containers c LEFT JOIN sessions s USING (dev_eui)
    GROUP BY c.container_id, c.dev_eui
"""


def sensor_links(conn: psycopg.Connection, days: int) -> list[SensorLink]:
    """Every container's sensor over the last `days`, the largest share missing first (those
    with nothing stored last)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be within 1 and {MAX_DAYS}")
    with conn.cursor(row_factory=class_row(SensorLink)) as cur:
        links = cur.execute(_LINKS_QUERY, {"days": days}).fetchall()
    return sorted(
        links,
        key=lambda link: (
            link.missing_percent is None,
            -(link.missing_percent or 0.0),
            -link.missing,
            link.container_id,
        ),
    )
