"""`tilsyn decode` through the real entry point: JSON on stdout, exit 2 and a reason on stderr."""

from __future__ import annotations

import json

import pytest

from tilsyn.cli import main


def test_decode_prints_one_json_object(capsys):
    assert main(["decode", "milesight-em310-udl", "01755C03824408040001"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"battery_percent": 92, "distance_mm": 2116, "tilt": True}
    assert out.count("\n") == 1 and err == ""


def test_decode_passes_the_fport_and_tolerates_spaced_hex(capsys):
    assert main(["decode", "dragino-ldds75", "0D 48 0B 05 00 01 05 01", "--fport", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["temperature_c"] == 26.1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["milesight-em310-udl", "01755C0382"], "at byte 5: payload truncated"),
        (["milesight-em310-udl", "0575"], "at byte 0: unknown EM310-UDL channel 05 75"),
        (["milesight-em310-udl", "017565"], "at byte 2: battery_percent 101 is impossible"),
        (["tilsyn-hygiene-v1", "0101"], "at byte 2: payload truncated"),
        (["milesight-em310-udl", "01755G"], "bad hex at byte 2: 'G'"),
        (["milesight-em310-udl", "01755"], "odd number of hex digits"),
        (["dragino-ldds75", "0D480B0500010501", "--fport", "5"], "fPort 5"),
    ],
)
def test_malformed_input_exits_2_with_the_reason_on_stderr(capsys, argv, message):
    assert main(["decode", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err


def test_unknown_codec_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["decode", "acme-1", "00"])
    assert caught.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
