"""Originals that come after their correction: set aside, never stored beside it.

A hub's `corrected` or `amended` Observation replaces, at commit, the stored rows with its
patient, kind and observation id within a day either side (migrations 0017, 0029). An original
(`final`) of that id arriving later, say from a hub sending its queue again in another order,
would be stored beside the correction, and the patient would have two values for one reading.
Such an original is kept whole with its message in dead letters, with the reason, and counted;
its rows are neither stored nor handed to the observers, so no alert is raised on a value that
was corrected before it arrived.

Decided once per batch before the copy, in the batch's transaction: one query for the batch's
originals against the stored corrections (a partial index holds only those), and the batch's own
corrections from earlier messages, which are applied only at commit. Batches without an
original with an id (compact series, network-server uplinks) never query. A trigger on
`vital_observations` would cost every copied row instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import psycopg

from tilsyn.platform.ingest.outcomes import Accepted, Original, Rejection, dead_letter
from tilsyn.platform.ingest.tables import VITAL_CORRECTIONS, VITAL_OBSERVATIONS, Row

# How far apart in time a correction and the rows it replaces may be: as in the trigger.
CORRECTION_REACH = timedelta(hours=24)
# Positions in a `vital_observations` row (tables.py).
TIME, PATIENT, KIND, OBSERVATION = 0, 1, 2, 5

Reading = tuple[str, str, str]  # patient, stored kind, the hub's observation id

_CORRECTED_IN_STORE = """
SELECT o.position
FROM unnest(%s::timestamptz[], %s::text[], %s::text[], %s::text[])
     WITH ORDINALITY AS o(time, patient_id, kind, observation_id, position)
WHERE EXISTS (
    SELECT FROM vital_observations v
    WHERE v.status <> 'final' AND v.patient_id = o.patient_id AND v.kind = o.kind
      AND v.observation_id = o.observation_id
      AND v.time BETWEEN o.time - INTERVAL '24 hours' AND o.time + INTERVAL '24 hours')
"""


def set_aside_superseded(
    conn: psycopg.Connection, fresh: Sequence[Accepted]
) -> tuple[list[Accepted], list[Rejection]]:
    """The batch's messages without their superseded originals, and one dead letter for each
    of those originals."""
    if not any(outcome.originals for outcome in fresh):
        return list(fresh), []
    corrected = _rows_corrected_in_store(conn, fresh)
    earlier: dict[Reading, list[datetime]] = defaultdict(list)  # this batch's corrections
    kept: list[Accepted] = []
    superseded: list[Rejection] = []
    for outcome in fresh:
        late = [
            original
            for original in outcome.originals
            if any(row in corrected or _corrected_earlier(row, earlier) for row in original.rows)
        ]
        if late:
            outcome = _without(outcome, late)
            superseded += [_dead_letter(outcome, original) for original in late]
        kept.append(outcome)
        for row in _rows_of(outcome, VITAL_CORRECTIONS.name):
            earlier[_reading(row)].append(row[TIME])
    return kept, superseded


def _rows_corrected_in_store(conn: psycopg.Connection, fresh: Sequence[Accepted]) -> set[Row]:
    rows = [row for outcome in fresh for original in outcome.originals for row in original.rows]
    columns = [[row[position] for row in rows] for position in (TIME, PATIENT, KIND, OBSERVATION)]
    positions = conn.execute(_CORRECTED_IN_STORE, columns).fetchall()
    return {rows[position - 1] for (position,) in positions}


def _corrected_earlier(row: Row, earlier: dict[Reading, list[datetime]]) -> bool:
    return any(abs(at - row[TIME]) <= CORRECTION_REACH for at in earlier.get(_reading(row), ()))


def _reading(row: Row) -> Reading:
    return row[PATIENT], row[KIND], row[OBSERVATION]


def _rows_of(outcome: Accepted, table_name: str) -> tuple[Row, ...]:
    return tuple(row for table, rows in outcome.rows if table.name == table_name for row in rows)


def _without(outcome: Accepted, late: list[Original]) -> Accepted:
    dropped = {row for original in late for row in original.rows}
    rows = tuple(
        (table, tuple(row for row in table_rows if row not in dropped))
        if table == VITAL_OBSERVATIONS
        else (table, table_rows)
        for table, table_rows in outcome.rows
    )
    originals = tuple(original for original in outcome.originals if original not in late)
    return replace(outcome, rows=rows, originals=originals)


def _dead_letter(outcome: Accepted, original: Original) -> Rejection:
    """The message kept whole, as for any entry set aside; the reason names the patient the
    way the problem lists withhold for roles that may not see it."""
    first = original.rows[0]
    reason = (
        f"superseded: entry {original.entry}: Observation {first[OBSERVATION]} of patient"
        f" {first[PATIENT]} came after its correction, which stands; this original is not stored"
    )
    if any(table_rows for _, table_rows in outcome.rows):
        reason += " (the message's other entries are stored)"
    topic, payload = outcome.source or ("", b"")
    return dead_letter(topic, payload, reason)
