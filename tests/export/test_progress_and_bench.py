"""The command line's progress bar, and the export benchmark's parts on a small scale."""

from __future__ import annotations

import io

import psycopg

from tilsyn.platform.export.bench import export_readings, insert_readings, resident_bytes
from tilsyn.platform.export.progress import ProgressBar


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_redraws_in_place_at_most_ten_times_a_second() -> None:
    out, clock = io.StringIO(), Clock()
    bar = ProgressBar(1_000, out, clock=clock)
    bar.advance(100)  # drawn: the first update always is, without a rate yet
    assert out.getvalue() == "\r[###" + "-" * 27 + "]  10%  100/1,000 rows"
    clock.now += 0.06
    bar.advance(100)  # too soon after the last drawing
    clock.now += 0.06
    bar.advance(300)
    assert out.getvalue().count("\r") == 2
    expected = "\r[" + "#" * 15 + "-" * 15 + "]  50%  500/1,000 rows  4,167 rows/s"
    assert out.getvalue().endswith(expected)
    clock.now += 0.01
    bar.finish()  # always drawn, however soon
    assert out.getvalue().count("\r") == 3
    assert out.getvalue().endswith("]  50%  500/1,000 rows  3,846 rows/s\n")


def test_without_a_total_the_bar_shows_the_count() -> None:
    out, clock = io.StringIO(), Clock()
    bar = ProgressBar(0, out, clock=clock)
    clock.now += 2
    bar.advance(4_000)
    assert out.getvalue() == "\r4,000 rows  2,000 rows/s"


def test_the_benchmark_exports_what_it_inserted(database_url: str) -> None:
    insert_readings(database_url, 5_000)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM container_readings").fetchone() == (5_000,)
    tenth = export_readings(database_url, 1_000)  # one hour of the fleet
    whole = export_readings(database_url, 5_000)
    assert (tenth.rows, whole.rows) == (1_000, 5_000)
    assert whole.bytes > 5_000 * 40  # a reading is more than 40 characters of CSV
    assert whole.seconds > 0


def test_resident_memory_is_measured_now_not_as_a_lifetime_peak() -> None:
    before = resident_bytes()
    block = bytearray(64 * 1024 * 1024)  # zero-filled, so every page is touched
    during = resident_bytes()
    del block
    assert during - before > 60 * 1024 * 1024
    assert resident_bytes() < during
