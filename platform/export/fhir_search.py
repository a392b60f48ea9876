"""FHIR Observation search over stored vital signs: `?patient=&code=&date=ge..&date=le..`.

`code` tokens are LOINC codes, bare (`8867-4`) or with their system (`http://loinc.org|8867-4`).
Within one parameter commas mean OR; repeated parameters must all match (AND), as in FHIR. A
code Tilsyn does not store matches nothing, which gives an empty Bundle, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from tilsyn.codecs.vital_signs import KINDS, LOINC
from tilsyn.platform.export.fhir import BLOOD_PRESSURE_ROWS, EPOCH, VitalRow, resource_id

# Every stored kind per LOINC code our Observations carry in `code` (the codes a search on
# Observation.code can find); blood pressure is stored as two rows.
STORED_KINDS_BY_LOINC: dict[str, tuple[str, ...]] = {
    code: tuple(BLOOD_PRESSURE_ROWS) if kind.name == "blood_pressure" else (kind.name,)
    for kind in KINDS
    for code, _ in kind.codings
}
ALL_STORED_KINDS = frozenset(k for kinds in STORED_KINDS_BY_LOINC.values() for k in kinds)
MAX_ROWS_PER_OBSERVATION = len(BLOOD_PRESSURE_ROWS)
RESOURCE_ID = re.compile(r"vs-(-?[0-9a-f]{1,15})-[0-9a-f]{24}")
COLUMNS = sql.SQL("time, patient_id, kind, value, unit, observation_id, device_id")


def stored_kinds(code_params: Sequence[str]) -> frozenset[str]:
    """The stored kinds the `code` parameters select; every kind when there are none."""
    selected = ALL_STORED_KINDS
    for param in code_params:
        tokens = [token.strip() for token in param.split(",")]
        selected &= {kind for token in tokens for kind in _kinds_of_token(token)}
    return selected


def _kinds_of_token(token: str) -> tuple[str, ...]:
    system, bar, code = token.rpartition("|")
    if not code:
        raise ValueError(f"code parameter {token!r} names no code")
    if bar and system != LOINC:
        return ()  # another code system, or `|code` (explicitly no system): not ours
    return STORED_KINDS_BY_LOINC.get(code, ())


def query_vitals(
    conn: psycopg.Connection,
    patient_id: str,
    codes: Sequence[str] = (),
    date_ge: datetime | None = None,
    date_le: datetime | None = None,
    limit: int = 100,
) -> list[VitalRow]:
    """Rows of the patient's newest `limit` measurements matching the search, newest first.

    `limit` counts measurements, not rows: a blood-pressure panel's two rows are both returned.
    Dates are inclusive bounds (see `fhir_dates.date_range`).
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    kinds = stored_kinds(codes)
    if not kinds:
        return []
    conditions = [sql.SQL("patient_id = %(patient)s"), sql.SQL("kind = ANY(%(kinds)s)")]
    if date_ge is not None:
        conditions.append(sql.SQL("time >= %(ge)s"))
    if date_le is not None:
        conditions.append(sql.SQL("time <= %(le)s"))
    # The order keeps a panel's rows next to each other, so the first `limit` measurements lie
    # wholly within the first limit * 2 rows.
    query = sql.SQL(
        """SELECT {columns} FROM vital_observations WHERE {conditions}
           ORDER BY time DESC, observation_id, kind IN ('systolic_bp', 'diastolic_bp'),
                    device_id, kind
           LIMIT %(rows)s"""
    ).format(columns=COLUMNS, conditions=sql.SQL(" AND ").join(conditions))
    params = {
        "patient": patient_id,
        "kinds": sorted(kinds),
        "ge": date_ge,
        "le": date_le,
        "rows": limit * MAX_ROWS_PER_OBSERVATION,
    }
    with conn.cursor(row_factory=class_row(VitalRow)) as cur:
        rows = cur.execute(query, params).fetchall()
    return _first_measurements(rows, limit)


def _first_measurements(rows: Sequence[VitalRow], limit: int) -> list[VitalRow]:
    kept: list[VitalRow] = []
    seen: set[str] = set()
    for row in rows:
        key = resource_id(row)
        if key not in seen:
            if len(seen) == limit:
                continue
            seen.add(key)
        kept.append(row)
    return kept


def read_vital(conn: psycopg.Connection, observation_id: str) -> list[VitalRow]:
    """The rows of the Observation with this id (from `resource_id`); empty when there is none.

    The id carries the measurement's time, so only rows of that instant are read and checked.
    """
    match = RESOURCE_ID.fullmatch(observation_id)
    if match is None:
        return []
    try:
        at = EPOCH + timedelta(microseconds=int(match.group(1), 16))
    except OverflowError:
        return []  # beyond year 9999: no row can have that time
    query = sql.SQL("SELECT {} FROM vital_observations WHERE time = %s").format(COLUMNS)
    with conn.cursor(row_factory=class_row(VitalRow)) as cur:
        rows = cur.execute(query, (at,)).fetchall()
    return [row for row in rows if resource_id(row) == observation_id]
