"""When a container was emptied, read from its fill readings alone (no sensor reports one).

One rule for the overflow alert, the "full by" forecast, the planner's rates and the open-data
`dateLastEmptying`:

- An emptying is a fall of `EMPTIED_DROP_PERCENT` points between two readings, or a fall to
  near empty (`NEAR_EMPTY_PERCENT` or less) by at least that many points: a container emptied
  at 25 % falls 25 points, not 30, and must count.
- A single reading that falls like that while the next one makes up at least half the fall
  is a glitch (a bad echo, a bird on the sensor), not an emptying: no bin refills that fast.
  It is left out, so it neither cuts the history nor bends the fill rate. The latest reading
  has no next one yet; a fall there counts for now.

`last_emptied` applies the same rule in SQL to a whole fleet's history in one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg
from psycopg import sql

EMPTIED_DROP_PERCENT = 30.0
NEAR_EMPTY_PERCENT = 10.0

Reading = tuple[datetime, float]  # (time, fill %)


def emptied_between(before: float, after: float) -> bool:
    drop = before - after
    return drop >= EMPTIED_DROP_PERCENT or (
        after <= NEAR_EMPTY_PERCENT and drop >= NEAR_EMPTY_PERCENT
    )


def glitch(before: float, fill: float, after: float) -> bool:
    """A fall as if emptied that the next reading makes up by half or more."""
    return emptied_between(before, fill) and after - fill >= (before - fill) / 2


def without_glitches(readings: Sequence[Reading]) -> list[Reading]:
    """The readings less the glitches."""
    return [
        reading
        for index, reading in enumerate(readings)
        if not 0 < index < len(readings) - 1
        or not glitch(readings[index - 1][1], reading[1], readings[index + 1][1])
    ]


def since_last_emptying(readings: Sequence[Reading]) -> list[Reading]:
    """The readings (glitches left out) from the last emptying on: the rate before an
    emptying says nothing about now."""
    clean = without_glitches(readings)
    start = 0
    for index in range(1, len(clean)):
        if emptied_between(clean[index - 1][1], clean[index][1]):
            start = index
    return clean[start:]


def last_emptied(
    conn: psycopg.Connection, since: datetime, container_ids: Sequence[str] | None = None
) -> dict[str, datetime]:
    """container id -> the time of the first reading after its latest emptying since `since`;
    absent when none was seen. The emptying happened between the two readings; this is the
    earliest time the platform knew of it."""
    where = [sql.SQL("time >= %(since)s"), sql.SQL("fill_percent IS NOT NULL")]
    if container_ids is not None:
        where.append(sql.SQL("container_id = ANY(%(ids)s)"))
    query = sql.SQL(
        """SELECT DISTINCT ON (container_id) container_id, time
           FROM (SELECT container_id, time, fill_percent AS fill,
                        lag(fill_percent) OVER w AS before, lead(fill_percent) OVER w AS after
                 FROM container_readings WHERE {where}
                 WINDOW w AS (PARTITION BY container_id ORDER BY time)) AS readings
           WHERE {fell} AND NOT (after IS NOT NULL AND after - fill >= (before - fill) / 2)
           ORDER BY container_id, time DESC"""
    ).format(where=sql.SQL(" AND ").join(where), fell=_fell_sql())
    params = {"since": since, "ids": list(container_ids or ())}
    rows = conn.execute(query, params).fetchall()
    return {container_id: time for container_id, time in rows}


def _fell_sql() -> sql.Composed:
    """`emptied_between(before, fill)` in SQL; the glitch test is written out in the query."""
    return sql.SQL(
        "(before - fill >= {drop} OR (fill <= {near} AND before - fill >= {near}))"
    ).format(drop=sql.Literal(EMPTIED_DROP_PERCENT), near=sql.Literal(NEAR_EMPTY_PERCENT))
