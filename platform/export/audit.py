"""Exports of patients' data are reads to audit: one record per patient in the export, taken
from the export's own snapshot, so a reading committed while the export starts (a hub
catching up) is either in both the file and the audit log or in neither."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from tilsyn.platform.auth.store import audit_as
from tilsyn.platform.export.csv_stream import keys_in

PATIENT_TABLES = frozenset({"vital_observations", "questionnaire_answers"})


def audit_export(
    conn: psycopg.Connection,
    snapshot: str,
    reader: tuple[str, str],
    table: str,
    start: datetime,
    end: datetime,
    key: str | None = None,
) -> None:
    """Record, committed, a `csv_export` read by `reader` (username, role) of each patient the
    export in `snapshot` holds."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        detail = {"table": table, "start": str(start), "end": str(end)}
        for patient_id in keys_in(conn, table, start, end, key):
            audit_as(conn, *reader, "csv_export", patient_id, detail)
