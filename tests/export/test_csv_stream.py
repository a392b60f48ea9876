"""CSV export of time series: the rows of the range, streamed in chunks, tables allow-listed."""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tilsyn.platform.export import cli
from tilsyn.platform.export.csv_stream import CHUNK_BYTES, count_rows, stream_csv

START = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)
READINGS = 3_000  # enough CSV for several chunks


@pytest.fixture(scope="module")
def database_url(module_database_url: str) -> str:
    """Two containers reporting hourly; A's readings have a temperature, B's do not."""
    with psycopg.connect(module_database_url) as connection:
        connection.execute(
            """INSERT INTO container_readings (time, container_id, dev_eui, fill_percent,
                   temperature_c, tilt)
               SELECT %(start)s + (i / 2) * interval '1 hour', CASE i %% 2 WHEN 0 THEN 'A'
                      ELSE 'B' END, '0000000000000001', (i %% 100)::real,
                      CASE i %% 2 WHEN 0 THEN 4.5 END, false
               FROM generate_series(0, %(n)s - 1) AS i""",
            {"start": START, "n": READINGS},
        )
    return module_database_url


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url) as connection:
        yield connection


def parse(chunks: Iterator[bytes]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))


def test_the_export_holds_exactly_the_rows_of_the_half_open_range(
    conn: psycopg.Connection,
) -> None:
    rows = parse(stream_csv(conn, "container_readings", START + 10 * HOUR, START + 20 * HOUR))
    assert len(rows) == 20  # 10 hours of two containers; the end hour is excluded
    assert rows[0]["time"] == "2026-03-02 10:00:00+00"
    assert rows[-1]["time"] == "2026-03-02 19:00:00+00"
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)
    assert list(rows[0]) == [
        "time",
        "container_id",
        "dev_eui",
        "distance_mm",
        "fill_percent",
        "battery_percent",
        "tilt",
        "temperature_c",
        "fcnt",
        "received_at",
    ]
    assert {r["temperature_c"] for r in rows if r["container_id"] == "B"} == {""}


def test_a_key_selects_one_series(conn: psycopg.Connection) -> None:
    rows = parse(stream_csv(conn, "container_readings", START, START + 5 * HOUR, key="A"))
    assert [r["container_id"] for r in rows] == ["A"] * 5
    assert count_rows(conn, "container_readings", START, START + 5 * HOUR, "A") == 5


def test_the_stream_comes_in_bounded_chunks_and_counts_its_rows(conn: psycopg.Connection) -> None:
    counted: list[int] = []
    end = START + READINGS * HOUR
    chunks = list(stream_csv(conn, "container_readings", START, end, on_rows=counted.append))
    assert len(chunks) > 1
    assert all(len(chunk) < CHUNK_BYTES + 1024 for chunk in chunks)  # one row past the mark
    assert sum(counted) == READINGS == count_rows(conn, "container_readings", START, end)
    assert len(parse(iter(chunks))) == READINGS


def test_an_abandoned_export_leaves_the_connection_usable(conn: psycopg.Connection) -> None:
    stream = stream_csv(conn, "container_readings", START, START + READINGS * HOUR)
    next(stream)
    stream.close()
    assert conn.execute("SELECT count(*) FROM container_readings").fetchone() == (READINGS,)


def test_tables_off_the_allow_list_are_refused(conn: psycopg.Connection) -> None:
    for table in ("devices", "container_readings; DROP TABLE devices", "dead_letters"):
        with pytest.raises(ValueError, match="cannot export"):
            next(stream_csv(conn, table, START, START + HOUR))
    assert conn.execute("SELECT count(*) FROM devices").fetchone() == (0,)


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def test_the_command_writes_the_file_and_draws_progress(
    conn: psycopg.Connection,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "readings.csv"
    argv = ["export", "csv", "container_readings", "--from", "2026-03-02", "--to", "2026-03-03"]
    assert run_cli([*argv, "--key", "B", "-o", str(out), "--progress"]) == 0
    with out.open() as written:
        rows = list(csv.DictReader(written))
    assert len(rows) == 24
    assert {r["container_id"] for r in rows} == {"B"}
    stderr = capsys.readouterr().err
    assert "[" + "#" * 30 + "] 100%  24/24 rows" in stderr
    assert stderr.rstrip().endswith("24 rows exported from container_readings")


def test_the_command_refuses_an_empty_range(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["export", "csv", "container_readings", "--from", "2026-03-02", "--to", "2026-03-02"]
    assert run_cli(argv) == 2
    assert "--from must be before --to" in capsys.readouterr().err
