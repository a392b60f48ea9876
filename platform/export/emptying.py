"""When containers were last emptied, read from their fill history (FIWARE `dateLastEmptying`).

No sensor reports an emptying; the fill level falling sharply between two readings shows one.
The time given is that of the first reading after the drop: the emptying happened between the
two readings, and this is the earliest time the platform knew of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg
from psycopg import sql

# A fall of this many percentage points between consecutive readings counts as an emptying.
# Waste settles and sensors jitter by a few points; nothing but emptying removes a third.
EMPTYING_DROP_POINTS = 30.0


def last_emptied(
    conn: psycopg.Connection,
    since: datetime,
    container_ids: Sequence[str] | None = None,
    drop_points: float = EMPTYING_DROP_POINTS,
) -> dict[str, datetime]:
    """container id -> time of its latest emptying after `since`; absent when none was seen."""
    where = [sql.SQL("time >= %(since)s"), sql.SQL("fill_percent IS NOT NULL")]
    if container_ids is not None:
        where.append(sql.SQL("container_id = ANY(%(ids)s)"))
    query = sql.SQL(
        """SELECT DISTINCT ON (container_id) container_id, time
           FROM (SELECT container_id, time, fill_percent,
                        lag(fill_percent) OVER (PARTITION BY container_id ORDER BY time) AS before
                 FROM container_readings WHERE {where}) AS readings
           WHERE before - fill_percent >= %(drop)s
           ORDER BY container_id, time DESC"""
    ).format(where=sql.SQL(" AND ").join(where))
    params = {"since": since, "ids": list(container_ids or ()), "drop": drop_points}
    rows = conn.execute(query, params).fetchall()
    return {container_id: time for container_id, time in rows}
