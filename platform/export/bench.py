"""`make bench` export figures: a million container readings streamed out as CSV.

Runs on an embedded PostgreSQL of its own. The readings are made inside the database (one
INSERT ... SELECT over generate_series), so the client never holds them either. The export is
measured twice, over a tenth of the range and over all of it: the client's resident memory
growth should be the same small figure for both, which is what "streamed" promises.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from tilsyn.platform.bench.report import figure
from tilsyn.platform.db.embedded import EmbeddedPostgres
from tilsyn.platform.export.csv_stream import stream_csv
from tilsyn.platform.runtime import migrate

CONTAINERS = 1_000
START = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(hours=1)  # every container reports hourly
MIB = 1024 * 1024


@dataclass(frozen=True)
class ExportRun:
    rows: int
    bytes: int
    seconds: float
    peak_rss_growth: int  # bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="readings to export")
    rows = parser.parse_args().rows
    work = Path(tempfile.mkdtemp(prefix="tilsyn-bench-export-"))
    work.chmod(0o755)  # the server may run as `nobody`
    try:
        with EmbeddedPostgres(work / "pg", durable=False) as pg:
            migrate(pg.url)
            insert_readings(pg.url, rows)
            tenth = export_readings(pg.url, rows // 10)
            whole = export_readings(pg.url, rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figure("export_csv_rows", whole.rows, "rows")
    figure("export_csv_rows_per_s", whole.rows / whole.seconds, "rows/s")
    figure("export_csv_mib_per_s", whole.bytes / MIB / whole.seconds, "MiB/s")
    figure("export_csv_peak_rss_growth_mib", whole.peak_rss_growth / MIB, "MiB")
    figure("export_csv_peak_rss_growth_tenth_mib", tenth.peak_rss_growth / MIB, "MiB")


def insert_readings(database_url: str, rows: int) -> None:
    """`rows` hourly readings from CONTAINERS containers, starting at START."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            """INSERT INTO container_readings (time, container_id, dev_eui, distance_mm,
                   fill_percent, battery_percent, tilt, temperature_c, fcnt)
               SELECT %(start)s + (i / %(containers)s) * %(step)s, 'bench-' || i %% %(containers)s,
                      lpad(to_hex(i %% %(containers)s), 16, '0'), 400 + (i * 7919) %% 2600,
                      ((i * 7919) %% 1000) / 10.0, 90, false, 4 + (i %% 200) / 10.0,
                      i / %(containers)s
               FROM generate_series(0::bigint, %(rows)s - 1) AS i""",
            {"start": START, "containers": CONTAINERS, "step": STEP, "rows": rows},
        )


def export_readings(database_url: str, rows: int) -> ExportRun:
    """Export the first `rows` readings (the hours they cover) and measure the client."""
    end = START + STEP * -(-rows // CONTAINERS)
    gc.collect()
    baseline = resident_bytes()
    peak = baseline
    written = 0
    exported = 0

    def count(chunk_rows: int) -> None:
        nonlocal exported
        exported += chunk_rows

    started = time.perf_counter()
    with psycopg.connect(database_url) as conn:
        for chunk in stream_csv(conn, "container_readings", START, end, on_rows=count):
            written += len(chunk)
            peak = max(peak, resident_bytes())
    seconds = time.perf_counter() - started
    return ExportRun(exported, written, seconds, peak - baseline)


def resident_bytes() -> int:
    """This process's resident set size now (Linux), not the lifetime peak getrusage gives."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


if __name__ == "__main__":
    main()
