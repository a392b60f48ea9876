"""An export of patients' data is in the audit log patient by patient, seen from the export's
own snapshot, whether it is made over the API or at the command line."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tilsyn.platform.export import cli
from tilsyn.platform.export.audit import audit_export
from tilsyn.platform.export.csv_stream import stream_csv
from tilsyn.platform.registry.models import PatientIn
from tilsyn.platform.registry.store import register_patient

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DAY = (NOW - timedelta(hours=8), NOW + timedelta(hours=16))


def _measure(database_url: str, patient_id: str) -> None:
    with psycopg.connect(database_url) as conn:
        register_patient(conn, PatientIn(patient_id=patient_id, unit="Våler"))
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (%s, %s, 'spo2', 95, '%%', 'h')",
            (NOW, patient_id),
        )


def _audited(database_url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT username, role, patient_id FROM audit_log WHERE action = 'csv_export'"
            " ORDER BY patient_id"
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def test_a_reading_committed_as_the_export_starts_is_in_both_the_file_and_the_audit_or_neither(
    database_url: str,
) -> None:
    """A hub catching up committed P-NEW's reading between the audit and the export's read:
    P-NEW was in the file but not in the audit log."""
    _measure(database_url, "P1")

    def hub_catches_up_then_audit(snapshot: str) -> None:
        _measure(database_url, "P-NEW")
        with psycopg.connect(database_url) as conn:
            audit_export(
                conn, snapshot, ("nurse.ida", "home_care_nurse"), "vital_observations", *DAY
            )

    with psycopg.connect(database_url) as conn:
        chunks = stream_csv(conn, "vital_observations", *DAY, on_snapshot=hub_catches_up_then_audit)
        text = b"".join(chunks).decode()
    exported = {line.split(",")[1] for line in text.strip().splitlines()[1:]}
    assert exported == {"P1"}
    assert _audited(database_url) == [("nurse.ida", "home_care_nurse", "P1")]


def test_the_export_command_audits_each_patient_under_the_system_user(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for patient_id in ("P1", "P2"):
        _measure(database_url, patient_id)
    monkeypatch.setenv("DATABASE_URL", database_url)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "vitals.csv"
    argv = ["export", "csv", "vital_observations", "--from", "2026-11-20", "--to", "2026-11-21"]
    args = parser.parse_args([*argv, "-o", str(out)])
    assert args.handler(args) == 0
    assert len(out.read_text().strip().splitlines()) == 3
    me = getpass.getuser()
    assert _audited(database_url) == [(me, "command_line", "P1"), (me, "command_line", "P2")]
