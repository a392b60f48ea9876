"""FHIR Observation search over stored vital signs: `?patient=&code=&date=ge..&date=le..`.

`code` tokens are LOINC codes, bare (`8867-4`) or with their system (`http://loinc.org|8867-4`).
Within one parameter commas mean OR; repeated parameters must all match (AND), as in FHIR. A
code Tilsyn does not store matches nothing, which gives an empty Bundle, not an error.

Results come in pages, newest first, in the order of each measurement's key: its time, then
its panel kind, the hub's observation id and, without one, the device. A page's cursor is the
key of its last measurement and the next page starts after it, so following the pages reaches
every match once, even while readings arrive (new ones are newer than any cursor) or are
corrected (a correction at the same time keeps its key, and comes with its own status).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from tilsyn.codecs.vital_signs import KINDS, LOINC
from tilsyn.platform.export.fhir import (
    BLOOD_PRESSURE_ROWS,
    EPOCH,
    VitalRow,
    micros_since_epoch,
    panel_kind,
    resource_id,
)

# Every stored kind per LOINC code our Observations carry in `code` (the codes a search on
# Observation.code can find); blood pressure is stored as two rows.
STORED_KINDS_BY_LOINC: dict[str, tuple[str, ...]] = {
    code: tuple(BLOOD_PRESSURE_ROWS) if kind.name == "blood_pressure" else (kind.name,)
    for kind in KINDS
    for code, _ in kind.codings
}
ALL_STORED_KINDS = frozenset(k for kinds in STORED_KINDS_BY_LOINC.values() for k in kinds)
RESOURCE_ID = re.compile(r"vs-(-?[0-9a-f]{1,15})-[0-9a-f]{24}")
COLUMNS = sql.SQL("time, patient_id, kind, value, unit, observation_id, device_id, status")

# A measurement's key after its time, as `measurement_key` computes it from a row: panel kind,
# the hub's observation id ('' without one), and the device for readings without an id.
Key = tuple[datetime, str, str, str]
_PANEL = sql.SQL("CASE WHEN kind IN ({}) THEN 'blood_pressure' ELSE kind END").format(
    sql.SQL(", ").join(map(sql.Literal, BLOOD_PRESSURE_ROWS))
)
_OBSERVATION = sql.SQL("COALESCE(observation_id, '')")
_DEVICE = sql.SQL("CASE WHEN observation_id IS NULL THEN COALESCE(device_id, '') ELSE '' END")
KEY_PARTS = sql.SQL(", ").join([_PANEL, _OBSERVATION, _DEVICE])
KEY_COLUMNS = sql.SQL("{} AS panel, {} AS obs, {} AS dev").format(_PANEL, _OBSERVATION, _DEVICE)
KEY_ORDER = sql.SQL("time DESC, panel, obs, dev")


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


@dataclass(frozen=True)
class VitalsPage:
    """One page of a search: its rows, the number of matching measurements in all, and the
    cursor of the next page (None on the last)."""

    rows: list[VitalRow]
    total: int
    next_cursor: str | None


def search_vitals(
    conn: psycopg.Connection,
    patient_id: str,
    codes: Sequence[str] = (),
    date_ge: datetime | None = None,
    date_le: datetime | None = None,
    count: int = 100,
    cursor: str | None = None,
) -> VitalsPage:
    """The page of `count` measurements after `cursor` (from the start without one).

    ValueError for a `count` below 1 or a cursor this module did not make.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    after = None if cursor is None else decode_cursor(cursor)
    kinds = stored_kinds(codes)
    if not kinds:
        return VitalsPage([], 0, None)
    where, params = _where(patient_id, kinds, date_ge, date_le)
    keys = _page_keys(conn, where, params, after, count + 1)
    rows = _rows_of(conn, where, params, keys[:count])
    next_cursor = encode_cursor(keys[count - 1]) if len(keys) > count else None
    return VitalsPage(rows, _count(conn, where, params), next_cursor)


def measurement_key(row: VitalRow) -> Key:
    """What `resource_id` tells measurements apart by, in the order pages follow."""
    if row.observation_id is not None:
        return (row.time, panel_kind(row.kind), row.observation_id, "")
    return (row.time, panel_kind(row.kind), "", row.device_id or "")


def encode_cursor(key: Key) -> str:
    at, panel, observation, device = key
    text = json.dumps([micros_since_epoch(at), panel, observation, device])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, panel, observation, device = json.loads(text)
        if not isinstance(micros, int) or not all(
            isinstance(part, str) for part in (panel, observation, device)
        ):
            raise ValueError("wrong types")
        return (EPOCH + timedelta(microseconds=micros), panel, observation, device)
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError) as error:
        raise ValueError(f"_cursor {cursor[:40]!r} is not a cursor of this search") from error


def _where(
    patient_id: str, kinds: frozenset[str], date_ge: datetime | None, date_le: datetime | None
) -> tuple[sql.Composable, dict[str, object]]:
    conditions = [sql.SQL("patient_id = %(patient)s"), sql.SQL("kind = ANY(%(kinds)s)")]
    if date_ge is not None:
        conditions.append(sql.SQL("time >= %(ge)s"))
    if date_le is not None:
        conditions.append(sql.SQL("time <= %(le)s"))
    params: dict[str, object] = {
        "patient": patient_id,
        "kinds": sorted(kinds),
        "ge": date_ge,
        "le": date_le,
    }
    return sql.SQL(" AND ").join(conditions), params


def _page_keys(
    conn: psycopg.Connection,
    where: sql.Composable,
    params: dict[str, object],
    after: Key | None,
    limit: int,
) -> list[Key]:
    """The keys of the first `limit` measurements after `after`, in page order."""
    if after is not None:
        # Newest first: an earlier time, or the same time and a later rest of the key.
        where = sql.SQL(
            "{} AND (time < %(at)s OR (time = %(at)s AND ({}) > (%(panel)s, %(obs)s, %(dev)s)))"
        ).format(where, KEY_PARTS)
        at, panel, observation, device = after
        params = {**params, "at": at, "panel": panel, "obs": observation, "dev": device}
    query = sql.SQL(
        """SELECT DISTINCT time, {key} FROM vital_observations WHERE {where}
           ORDER BY {order} LIMIT %(limit)s"""
    ).format(key=KEY_COLUMNS, where=where, order=KEY_ORDER)
    rows = conn.execute(query, {**params, "limit": limit}).fetchall()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def _rows_of(
    conn: psycopg.Connection,
    where: sql.Composable,
    params: dict[str, object],
    keys: Sequence[Key],
) -> list[VitalRow]:
    """Every row of these measurements, in page order (a panel's rows side by side)."""
    if not keys:
        return []
    query = sql.SQL(
        """SELECT {columns} FROM vital_observations
           WHERE {where} AND time >= %(oldest)s AND time <= %(newest)s
           ORDER BY time DESC, {parts}, kind"""
    ).format(columns=COLUMNS, where=where, parts=KEY_PARTS)
    bounds = {"oldest": keys[-1][0], "newest": keys[0][0]}
    with conn.cursor(row_factory=class_row(VitalRow)) as cur:
        rows = cur.execute(query, {**params, **bounds}).fetchall()
    wanted = set(keys)  # the first and last times may hold measurements of other pages
    return [row for row in rows if measurement_key(row) in wanted]


def _count(conn: psycopg.Connection, where: sql.Composable, params: dict[str, object]) -> int:
    query = sql.SQL(
        "SELECT count(*) FROM (SELECT DISTINCT time, {} FROM vital_observations WHERE {}) m"
    ).format(KEY_COLUMNS, where)
    row = conn.execute(query, params).fetchone()
    return 0 if row is None else int(row[0])


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
