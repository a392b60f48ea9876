"""`tilsyn export csv TABLE --from --to`: a time series as CSV on stdout or in a file.

The range is [from, to): a date alone means its midnight, and a time without a zone is UTC.
Compliance counts are kept per local day of the wards: for them the range means the wards' days
the bounds fall in, so `--from 2026-03-01 --to 2026-04-01` is March. A progress bar goes to
stderr when it is a terminal, so redirected output stays clean.

Patients' data exported here are reads like any other: each patient in the export is in the
audit log, under the name of the system user who ran the command (role `command_line`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import psycopg

from tilsyn.cli import Subcommands
from tilsyn.platform.config import Settings
from tilsyn.platform.export.audit import PATIENT_TABLES, audit_export
from tilsyn.platform.export.csv_stream import TABLES, count_rows, stream_csv
from tilsyn.platform.export.progress import ProgressBar
from tilsyn.platform.runtime import resolve_database_url


def register(subcommands: Subcommands) -> None:
    export = subcommands.add_parser("export", help="export data in open formats")
    formats = export.add_subparsers(dest="format", required=True, metavar="FORMAT")
    csv = formats.add_parser("csv", help="a time series over a time range as CSV")
    csv.add_argument("table", choices=sorted(TABLES))
    csv.add_argument("--from", dest="start", type=moment, required=True, help="ISO 8601")
    csv.add_argument("--to", dest="end", type=moment, required=True, help="ISO 8601, excluded")
    csv.add_argument("--key", help="only this container, ward or patient")
    csv.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    csv.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    csv.set_defaults(handler=_export_csv)


def moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _export_csv(args: argparse.Namespace) -> int:
    if args.start >= args.end:
        print("error: --from must be before --to", file=sys.stderr)
        return 2
    show = sys.stderr.isatty() if args.progress is None else args.progress
    url = resolve_database_url(Settings())
    with psycopg.connect(url) as conn, psycopg.connect(url) as audit_conn:
        reader = (getpass.getuser(), "command_line")

        def audited(snapshot: str) -> None:
            audit_export(audit_conn, snapshot, reader, args.table, args.start, args.end, args.key)

        on_snapshot = audited if args.table in PATIENT_TABLES else None
        if args.output is None:
            rows = export_csv(conn, args, sys.stdout.buffer, show, on_snapshot)
        else:
            with args.output.open("wb") as out:
                rows = export_csv(conn, args, out, show, on_snapshot)
    print(f"{rows:,} rows exported from {args.table}", file=sys.stderr)
    return 0


def export_csv(
    conn: psycopg.Connection,
    args: argparse.Namespace,
    out: BinaryIO,
    show: bool,
    on_snapshot: Callable[[str], None] | None = None,
) -> int:
    """Write the export to `out` and return how many data rows it held."""
    total = count_rows(conn, args.table, args.start, args.end, args.key) if show else 0
    conn.commit()  # the export reads in a snapshot transaction of its own
    bar = ProgressBar(total, sys.stderr) if show else None
    written = 0

    def counted(rows: int) -> None:
        nonlocal written
        written += rows
        if bar is not None:
            bar.advance(rows)

    chunks = stream_csv(
        conn, args.table, args.start, args.end, args.key, on_rows=counted, on_snapshot=on_snapshot
    )
    for chunk in chunks:
        out.write(chunk)
    if bar is not None:
        bar.finish()
    return written
