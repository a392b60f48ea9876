"""Writes one batch of classified messages in one transaction, each message at most once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import psycopg
from psycopg import sql

from tilsyn.mqtt import Message
from tilsyn.platform.ingest.outcomes import (
    Accepted,
    Outcome,
    Rejection,
    dead_letter,
    frame_key,
    stored_key,
)
from tilsyn.platform.ingest.superseded import set_aside_superseded
from tilsyn.platform.ingest.tables import CONTAINER_READINGS, Row, Table


@dataclass(frozen=True)
class BatchResult:
    stored: int
    duplicates: int
    quarantined: int
    dead_letters: int
    rows: int = 0
    fresh: tuple[Accepted, ...] = ()  # what this batch stored, for observers of the stream
    # Originals that came after their correction, among the dead letters (superseded.py).
    superseded: int = 0

    def __add__(self, other: BatchResult) -> BatchResult:
        return BatchResult(
            self.stored + other.stored,
            self.duplicates + other.duplicates,
            self.quarantined + other.quarantined,
            self.dead_letters + other.dead_letters,
            self.rows + other.rows,
            self.fresh + other.fresh,
            self.superseded + other.superseded,
        )


def write_batch(conn: psycopg.Connection, outcomes: Sequence[Outcome]) -> BatchResult:
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    rejections = [o for o in outcomes if isinstance(o, Rejection)]
    with conn.transaction():
        fresh, replays = _claim_new(conn, accepted)
        fresh, superseded = set_aside_superseded(conn, fresh)
        rejections += replays + superseded
        rejections += [part for outcome in fresh for part in outcome.set_aside]
        rows = _rows_by_table(fresh)
        for table, table_rows in rows.items():
            copy_rows(conn, table, table_rows)
        _update_latest_fill(conn, rows.get(CONTAINER_READINGS, []))
        _store_rejections(conn, rejections)
    quarantined = sum(1 for r in rejections if r.place == "quarantine")
    return BatchResult(
        stored=len(fresh),
        duplicates=len(accepted) - len(fresh) - len(replays),
        quarantined=quarantined,
        dead_letters=len(rejections) - quarantined,
        rows=sum(len(table_rows) for table_rows in rows.values()),
        fresh=tuple(fresh),
        superseded=len(superseded),
    )


# SQLSTATE classes after which waiting helps: no connection, too few resources (connections,
# disk), an administrator's shutdown, a system error; and a standby that does not take writes
# (a failover in progress). Anything else is the message's own fault.
_OUTAGE_CLASSES = ("08", "53", "57", "58")
_READ_ONLY = "25006"


def is_outage(error: BaseException) -> bool:
    """Whether the database, not the message, is why a write failed: keep it and retry."""
    if not isinstance(error, psycopg.Error):
        return False
    state = error.sqlstate
    if state is None:  # libpq's own: no connection, or it broke
        return isinstance(error, psycopg.OperationalError)
    return state[:2] in _OUTAGE_CLASSES or state == _READ_ONLY


def write_one_by_one(
    conn: psycopg.Connection, messages: Sequence[Message], outcomes: Sequence[Outcome]
) -> BatchResult:
    """Fallback after a batch failed on its content: whatever cannot be stored is dead-lettered."""
    total = BatchResult(0, 0, 0, 0)
    for message, outcome in zip(messages, outcomes, strict=True):
        try:
            total += write_batch(conn, [outcome])
        except Exception as error:  # the database's refusal, or a row the copy cannot send
            if is_outage(error):
                raise
            total += write_batch(conn, [dead_letter(message.topic, message.payload, _why(error))])
    return total


def _why(error: Exception) -> str:
    if isinstance(error, psycopg.Error):
        return f"database refused the message: {error.diag.message_primary or error}"
    return f"could not store the message: {type(error).__name__}: {error}"


def _claim_new(
    conn: psycopg.Connection, accepted: list[Accepted]
) -> tuple[list[Accepted], list[Rejection]]:
    """Record the idempotency keys. A message whose key was seen before is a redelivery and is
    dropped; a LoRaWAN frame stored before under another deduplication id is a replay."""
    if not accepted:
        return [], []
    keys = [stored_key(a.key) for a in accepted] + [a.frame_key for a in accepted if a.frame_key]
    rows = conn.execute(
        "INSERT INTO ingest_keys (key) SELECT unnest(%s::text[])"
        " ON CONFLICT DO NOTHING RETURNING key",
        (keys,),
    ).fetchall()
    new_keys = {row[0] for row in rows}
    fresh, replays = [], []
    for outcome in accepted:
        key = stored_key(outcome.key)
        if key not in new_keys:
            continue  # a redelivery (possibly within this batch): stored once already
        new_keys.discard(key)
        if outcome.frame_key is not None and outcome.frame_key not in new_keys:
            rekeyed = _in_a_later_session(conn, outcome)
            if rekeyed is None:
                replays.append(_replay(outcome))
                continue
            outcome = rekeyed
        new_keys.discard(outcome.frame_key)
        fresh.append(outcome)
    return fresh, replays


def _in_a_later_session(conn: psycopg.Connection, outcome: Accepted) -> Accepted | None:
    """The frame under the device's latest session, if the database knows a later join than
    the classifier did (another ingest worker of the share group took the join event) and the
    frame is new in it; None if it is a replay after all."""
    _, device, session, fcnt = (outcome.frame_key or "::::").split(":")
    row = conn.execute(
        "SELECT floor(extract(epoch FROM max(time)))::bigint FROM device_joins WHERE dev_eui = %s",
        (device,),
    ).fetchone()
    latest = None if row is None or row[0] is None else int(row[0])
    if latest is None or latest <= int(session):
        return None
    later = frame_key(device, latest, int(fcnt))
    claimed = conn.execute(
        "INSERT INTO ingest_keys (key) VALUES (%s) ON CONFLICT DO NOTHING RETURNING key",
        (later,),
    ).fetchone()
    return None if claimed is None else replace(outcome, frame_key=later)


def _replay(outcome: Accepted) -> Rejection:
    topic, payload = outcome.source or ("", b"")
    _, device, _, fcnt = (outcome.frame_key or "::::").split(":")
    reason = f"replayed frame: fCnt {fcnt} of {device} was stored before under another id"
    return dead_letter(topic, payload, reason)


def _rows_by_table(accepted: list[Accepted]) -> dict[Table, list[Row]]:
    rows: dict[Table, list[Row]] = defaultdict(list)
    for outcome in accepted:
        for table, table_rows in outcome.rows:
            rows[table].extend(table_rows)
    return rows


def copy_rows(conn: psycopg.Connection, table: Table, rows: Sequence[Row]) -> None:
    """Rows into one of ingest's tables by binary COPY, in the caller's transaction."""
    if not rows:
        return
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types(table.types)
        for row in rows:
            copy.write_row(row)


def _update_latest_fill(conn: psycopg.Connection, readings: list[Row]) -> None:
    """Keep `container_latest` at each container's newest reading (by its own time)."""
    newest: dict[str, Row] = {}
    for row in readings:
        time, container_id = row[0], row[1]
        if container_id not in newest or newest[container_id][0] <= time:
            newest[container_id] = row
    if not newest:
        return
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO container_latest AS l (container_id, time, distance_mm, fill_percent,
                   fill_at, battery_percent, tilt, temperature_c)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (container_id) DO UPDATE SET
                   time = EXCLUDED.time,
                   distance_mm = COALESCE(EXCLUDED.distance_mm, l.distance_mm),
                   fill_percent = COALESCE(EXCLUDED.fill_percent, l.fill_percent),
                   fill_at = COALESCE(EXCLUDED.fill_at, l.fill_at),
                   battery_percent = COALESCE(EXCLUDED.battery_percent, l.battery_percent),
                   tilt = COALESCE(EXCLUDED.tilt, l.tilt),
                   temperature_c = COALESCE(EXCLUDED.temperature_c, l.temperature_c),
                   updated_at = now()
               WHERE l.time <= EXCLUDED.time""",
            [
                (r[1], r[0], r[3], r[4], None if r[4] is None else r[0], r[5], r[6], r[7])
                for r in newest.values()
            ],
        )


def _store_rejections(conn: psycopg.Connection, rejections: list[Rejection]) -> None:
    quarantined = [
        (r.topic, r.device_id, r.reason, r.payload) for r in rejections if r.place == "quarantine"
    ]
    dead = [(r.topic, r.reason, r.payload) for r in rejections if r.place == "dead_letters"]
    with conn.cursor() as cur:
        if quarantined:
            cur.executemany(
                "INSERT INTO quarantine (topic, dev_eui, reason, payload) VALUES (%s, %s, %s, %s)",
                quarantined,
            )
        if dead:
            cur.executemany(
                "INSERT INTO dead_letters (topic, reason, payload) VALUES (%s, %s, %s)", dead
            )
