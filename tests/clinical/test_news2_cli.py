"""`tilsyn news2` through its own parser: one JSON object out, exit 2 on impossible input."""

from __future__ import annotations

import argparse
import json

import pytest

from tilsyn.platform.clinical.cli import register


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tilsyn")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["news2", *argv])
    code: int = args.handler(args)
    return code


def test_complete_vitals_print_one_json_object(capsys):
    argv = "--rr 22 --spo2 95 --oxygen --sbp 105 --pulse 95 --consciousness A --temp 38.05"
    assert run(argv.split()) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and err == ""
    result = json.loads(out)
    assert result["points"] == {
        "respiration_rate": 2,
        "spo2": 1,
        "air_or_oxygen": 2,
        "systolic_bp": 1,
        "pulse": 1,
        "consciousness": 0,
        "temperature": 1,
    }
    assert (result["total"], result["band"], result["complete"]) == (8, "high", True)
    assert result["missing"] == [] and "emergency response" in result["response"]


def test_left_out_options_are_missing_and_air_is_not_assumed(capsys):
    assert run(["--spo2", "97", "--pulse", "72"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["points"] == {"spo2": 0, "pulse": 0}
    assert result["missing"] == [
        "respiration_rate",
        "air_or_oxygen",
        "systolic_bp",
        "consciousness",
        "temperature",
    ]
    assert result["complete"] is False


def test_scale_2_with_air(capsys):
    assert run(["--spo2", "95", "--scale", "2", "--air"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["points"] == {"spo2": 0, "air_or_oxygen": 0} and result["scale"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--spo2", "101"], "--spo2 101.0: Input should be less than or equal to 100"),
        (["--rr", "-4"], "--rr -4.0: Input should be greater than or equal to 0"),
        (["--temp", "nan"], "--temp nan: Input should be a finite number"),
    ],
)
def test_impossible_input_exits_2_with_the_reason(capsys, argv, message):
    assert run(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err


def test_malformed_options_exit_2_through_argparse(capsys):
    with pytest.raises(SystemExit) as stopped:
        run(["--consciousness", "X"])
    assert stopped.value.code == 2
    with pytest.raises(SystemExit):
        run(["--oxygen", "--air"])
