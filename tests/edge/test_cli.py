"""`tilsyn edge run` with options it cannot run with: a clear error and exit code 2, never a
traceback (a hub installer reads the message, not the trace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tilsyn.edge.cli import main

GOOD = {"--hub-id": "vaaler-hub-001", "--mqtt-url": "mqtt://127.0.0.1:1"}


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--speed", "0", "--speed must be a positive number"),
        ("--speed", "nan", "--speed must be a positive number"),
        ("--receipt-timeout", "inf", "--receipt-timeout must be a positive number"),
        ("--mqtt-url", "http://broker", "http"),
        ("--mqtt-url", "mqtt://broker:notaport", "port"),
        ("--hub-id", "no-such-hub", "no-such-hub"),
        ("--data-dir", "FILE", "File exists"),
    ],
)
def test_an_option_it_cannot_run_with_is_said_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, said: str
) -> None:
    a_file = tmp_path / "not-a-directory"
    a_file.write_text("")
    args = GOOD | {"--data-dir": str(tmp_path / "data")}
    args[option] = str(a_file) if value == "FILE" else value
    argv = ["edge", "run", *(part for pair in args.items() for part in pair)]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("tilsyn edge run: ") and said in error, error
    assert "Traceback" not in error
