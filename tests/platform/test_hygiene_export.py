"""A CSV export of compliance counts covers the wards' local days: counts are kept per local day
(`time` is the day's midnight in Oslo), so March is 1 to 31 March, whether the range is given
as dates, UTC times or local times."""

from __future__ import annotations

import argparse
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from fix_auth import SignIn

from tilsyn.platform.api.app import create_app
from tilsyn.platform.export import cli
from tilsyn.platform.export.csv_stream import count_rows

pytestmark = pytest.mark.integration

# Each day's local midnight in Oslo (CET until 29 March 2026, CEST after), written out.
MIDNIGHTS = {
    "2026-02-28": datetime(2026, 2, 27, 23, tzinfo=UTC),
    "2026-03-01": datetime(2026, 2, 28, 23, tzinfo=UTC),
    "2026-03-31": datetime(2026, 3, 30, 22, tzinfo=UTC),
    "2026-04-01": datetime(2026, 3, 31, 22, tzinfo=UTC),
}
MARCH = ["2026-03-01", "2026-03-31"]


@pytest.fixture
def seeded(database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        conn.cursor().executemany(
            "INSERT INTO hygiene_compliance_counts (time, ward_id, zone_type, day, role,"
            " opportunities, met) VALUES (%s, 'M3', 'patient_zone', %s, 'nurse', 4, 3)",
            [(midnight, day) for day, midnight in MIDNIGHTS.items()],
        )
    return database_url


def _days(text: str) -> list[str]:
    return [row["day"] for row in csv.DictReader(io.StringIO(text))]


def test_the_command_exports_march_as_march(
    seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", seeded)
    out = tmp_path / "march.csv"
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command", required=True))
    table = "hygiene_compliance_counts"
    args = parser.parse_args(
        ["export", "csv", table, "--from", "2026-03-01", "--to", "2026-04-01", "-o", str(out)]
    )
    assert args.handler(args) == 0
    assert _days(out.read_text()) == MARCH
    with psycopg.connect(seeded) as conn:
        assert count_rows(conn, table, args.start, args.end) == len(MARCH)


def test_the_api_exports_march_as_march(seeded: str, sign_in: SignIn) -> None:
    headers = sign_in("infection_control")
    ranges = [
        ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
        ("2026-03-01T00:00:00", "2026-04-01T00:00:00"),  # no zone: UTC
        ("2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"),  # Oslo's midnights
    ]
    with TestClient(create_app(seeded)) as client:
        for start, end in ranges:
            answer = client.get(
                "/api/export/csv/hygiene_compliance_counts",
                params={"start": start, "end": end},
                headers=headers,
            )
            assert answer.status_code == 200, answer.text
            assert _days(answer.text) == MARCH, (start, end)
