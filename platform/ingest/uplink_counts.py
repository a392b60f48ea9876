"""How well each LoRaWAN device gets through: uplinks stored, and uplinks missing.

A LoRaWAN device numbers its uplinks (fCnt), and ingest keeps the number of every frame it
stored as an idempotency key (`fc:<dev_eui>:<session>:<fCnt>`, see ingest/outcomes.py). Numbers
between the lowest and the highest of a session that have no key are uplinks the platform
never stored: lost on the radio (a sensor deep in a steel container, a dispenser behind a
concrete wall, a gateway down), or refused (their reasons are in the dead letters). A rejoin
starts a new session, counted again from zero, so sessions are counted apart. A device that
went silent shows here only by its last uplink; the offline and silent alerts watch that.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from pydantic import BaseModel, Field, computed_field

# Ingest's keys are kept at least a week (retention_ingest_keys_days): longer windows could
# miss the oldest frames without saying so.
MAX_DAYS = 7
# A device missing this share of its uplinks or more has a weak link worth a visit (the
# operator screen lists container sensors from this share, given in /config.js).
WEAK_LINK_PERCENT = 5.0


class UplinkCounts(BaseModel):
    received: int = Field(0, description="uplinks stored in the window")
    missing: int = Field(
        0, description="frame counts in the window's sessions with no stored uplink"
    )
    sessions: int = Field(0, description="LoRaWAN sessions seen in the window (a rejoin opens one)")
    last_heard: datetime | None = Field(None, description="when the latest uplink was stored")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def missing_percent(self) -> float | None:
        sent = self.received + self.missing
        return round(100 * self.missing / sent, 1) if sent else None

    @property
    def weak(self) -> bool:
        return (self.missing_percent or 0.0) >= WEAK_LINK_PERCENT


_COUNTS_QUERY = """
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
    SELECT dev_eui, sum(received)::int, sum(missing)::int, count(*)::int, max(last_heard)
    FROM sessions GROUP BY dev_eui
"""


def uplink_counts(conn: psycopg.Connection, days: int) -> dict[str, UplinkCounts]:
    """Every device heard over the last `days`, by DevEUI; one not heard has no entry."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be within 1 and {MAX_DAYS}")
    rows = conn.execute(_COUNTS_QUERY, {"days": days}).fetchall()
    return {
        dev_eui: UplinkCounts(received=received, missing=missing, sessions=sessions, last_heard=at)
        for dev_eui, received, missing, sessions, at in rows
    }
