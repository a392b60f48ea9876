"""Writes one batch of classified messages in one transaction, each reading at most once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from tilsyn.mqtt import Message
from tilsyn.platform.ingest.classify import ContainerReading, Outcome, Rejection

_READING_COLUMNS = (
    "time",
    "container_id",
    "dev_eui",
    "distance_mm",
    "fill_percent",
    "battery_percent",
    "tilt",
    "temperature_c",
    "fcnt",
)
# Binary COPY needs the exact column types, in column order.
_READING_TYPES = (
    "timestamptz",
    "text",
    "text",
    "int4",
    "float4",
    "int2",
    "bool",
    "float4",
    "int8",
)


@dataclass(frozen=True)
class BatchResult:
    stored: int
    duplicates: int
    quarantined: int
    dead_letters: int


def write_batch(conn: psycopg.Connection, outcomes: Sequence[Outcome]) -> BatchResult:
    readings = [o for o in outcomes if isinstance(o, ContainerReading)]
    rejections = [o for o in outcomes if isinstance(o, Rejection)]
    with conn.transaction():
        fresh = _claim_new(conn, readings)
        _copy_readings(conn, fresh)
        _update_latest(conn, fresh)
        _store_rejections(conn, rejections)
    quarantined = sum(1 for r in rejections if r.place == "quarantine")
    return BatchResult(
        stored=len(fresh),
        duplicates=len(readings) - len(fresh),
        quarantined=quarantined,
        dead_letters=len(rejections) - quarantined,
    )


def write_one_by_one(
    conn: psycopg.Connection, messages: Sequence[Message], outcomes: Sequence[Outcome]
) -> BatchResult:
    """Fallback after a batch failed on its content: whatever cannot be stored is dead-lettered."""
    stored = duplicates = quarantined = dead = 0
    for message, outcome in zip(messages, outcomes, strict=True):
        try:
            result = write_batch(conn, [outcome])
        except psycopg.OperationalError:
            raise
        except psycopg.Error as error:
            reason = f"database refused the row: {error.diag.message_primary or error}"
            refused = Rejection("dead_letters", message.topic, reason, message.payload)
            result = write_batch(conn, [refused])
        stored += result.stored
        duplicates += result.duplicates
        quarantined += result.quarantined
        dead += result.dead_letters
    return BatchResult(stored, duplicates, quarantined, dead)


def _claim_new(
    conn: psycopg.Connection, readings: list[ContainerReading]
) -> list[ContainerReading]:
    """Record the idempotency keys; keep only readings whose key was not seen before."""
    if not readings:
        return []
    rows = conn.execute(
        "INSERT INTO ingest_keys (key) SELECT unnest(%s::text[])"
        " ON CONFLICT DO NOTHING RETURNING key",
        ([r.key for r in readings],),
    ).fetchall()
    new_keys = {row[0] for row in rows}
    fresh = []
    for reading in readings:
        if reading.key in new_keys:
            new_keys.discard(reading.key)  # a key twice in one batch is stored once
            fresh.append(reading)
    return fresh


def _copy_readings(conn: psycopg.Connection, readings: list[ContainerReading]) -> None:
    if not readings:
        return
    columns = ", ".join(_READING_COLUMNS)
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY container_readings ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(_READING_TYPES)
        for r in readings:
            copy.write_row(
                (r.time, r.container_id, r.dev_eui, r.distance_mm, r.fill_percent,
                 r.battery_percent, r.tilt, r.temperature_c, r.fcnt)
            )  # fmt: skip


def _update_latest(conn: psycopg.Connection, readings: list[ContainerReading]) -> None:
    newest: dict[str, ContainerReading] = {}
    for r in readings:
        if r.container_id not in newest or newest[r.container_id].time <= r.time:
            newest[r.container_id] = r
    if not newest:
        return
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO container_latest AS l (container_id, time, distance_mm, fill_percent,
                   battery_percent, tilt, temperature_c)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (container_id) DO UPDATE SET
                   time = EXCLUDED.time,
                   distance_mm = COALESCE(EXCLUDED.distance_mm, l.distance_mm),
                   fill_percent = COALESCE(EXCLUDED.fill_percent, l.fill_percent),
                   battery_percent = COALESCE(EXCLUDED.battery_percent, l.battery_percent),
                   tilt = COALESCE(EXCLUDED.tilt, l.tilt),
                   temperature_c = COALESCE(EXCLUDED.temperature_c, l.temperature_c),
                   updated_at = now()
               WHERE l.time <= EXCLUDED.time""",
            [
                (
                    r.container_id,
                    r.time,
                    r.distance_mm,
                    r.fill_percent,
                    r.battery_percent,
                    r.tilt,
                    r.temperature_c,
                )
                for r in newest.values()
            ],
        )


def _store_rejections(conn: psycopg.Connection, rejections: list[Rejection]) -> None:
    quarantined = [
        (r.topic, r.dev_eui, r.reason, r.payload) for r in rejections if r.place == "quarantine"
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
