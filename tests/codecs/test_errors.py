"""Malformed payloads name the byte at fault; impossible fields are refused by encode too."""

from __future__ import annotations

import pytest

from tilsyn.codecs import DecodeError, decode, encode


@pytest.mark.parametrize(
    ("codec", "payload", "offset", "reason"),
    [
        ("milesight-em310-udl", "", 0, "empty payload"),
        ("milesight-em310-udl", "01755C0367010104", 3, "unknown EM310-UDL channel 03 67"),
        ("milesight-em400-udl", "01755C9999", 3, "unknown EM400-UDL channel 99 99"),
        ("milesight-em310-udl", "017565", 2, "battery_percent 101 is impossible"),
        ("milesight-em310-udl", "040002", 2, "tilt 2 is impossible"),
        ("milesight-em400-udl", "8367E80002", 4, "temperature_alarm 2 is impossible"),
        ("milesight-em310-udl", "01755C0382", 5, "distance_mm needs 2 byte"),
        ("milesight-em310-udl", "FF0F07", 2, "unknown LoRaWAN class code 7"),
        ("dragino-ldds75", "0D480B0502010501", 4, "interrupt flag 2 is impossible"),
        ("dragino-ldds75", "0D480B0500010502", 7, "sensor flag 2 is impossible"),
        ("dragino-ldds75", "0D480B05000105", 7, "sensor flag needs 1 byte"),
        ("tilsyn-hygiene-v1", "0201", 0, "unsupported tilsyn-hygiene format version 2"),
        ("tilsyn-hygiene-v1", "0103", 1, "unknown tilsyn-hygiene message type 0x03"),
        ("tilsyn-hygiene-v1", "010100F15365D2040000655A00", 10, "refill_percent 101"),
        ("tilsyn-hygiene-v1", "010100F15365D204000037C800", 11, "battery_percent 200"),
        ("tilsyn-hygiene-v1", "010100F1536501000000375A02", 12, "number of uses 2 is impossible"),
        ("tilsyn-hygiene-v1", "010100F15365D2040000375A020500", 15, "number of uses 2 (byte 12)"),
        ("tilsyn-hygiene-v1", "010100F15365D2040000375A0205000400", 15, "use 1 is older"),
        ("tilsyn-hygiene-v1", "010200F153650000", 6, "unknown role code 0"),
        ("tilsyn-hygiene-v1", "010200F15365070000", 6, "unknown role code 7"),
        ("tilsyn-hygiene-v1", "010200F1536501020300110C00", 13, "event count 2 (byte 7)"),
        ("tilsyn-hygiene-v1", "010200F153650101030041 0C00", 10, "unknown event 0 type code 4"),
        ("tilsyn-hygiene-v1", "010200F153650101030014 0C00", 10, "unknown event 0 zone code 4"),
        ("tilsyn-hygiene-v1", "010200F15365010209001100000300110000", 13, "event 1 is older"),
    ],
)
def test_decode_error_names_the_byte(codec, payload, offset, reason):
    with pytest.raises(DecodeError) as caught:
        decode(codec, bytes.fromhex(payload.replace(" ", "")))
    assert caught.value.offset == offset
    assert reason in str(caught.value)
    assert f"at byte {offset}" in str(caught.value)


def test_ldds75_refuses_frames_of_other_fports_without_a_byte_offset():
    with pytest.raises(DecodeError, match="fPort 5") as caught:
        decode("dragino-ldds75", bytes.fromhex("0D480B0500010501"), 5)
    assert caught.value.offset is None


@pytest.mark.parametrize(
    ("codec", "fields", "message"),
    [
        ("milesight-em310-udl", {}, "no fields"),
        ("milesight-em310-udl", {"battery_percent": 101}, "battery_percent must be within"),
        ("milesight-em310-udl", {"battery_percent": True}, "must be an integer"),
        ("milesight-em310-udl", {"temperature_c": 20.0}, "cannot encode field"),
        ("milesight-em310-udl", {"device": {"lorawan_class": "Class Z"}}, "lorawan_class"),
        ("milesight-em310-udl", {"device": {"serial_number": "12"}}, "serial_number"),
        ("milesight-em310-udl", {"device": {"hardware_version": "v1.16"}}, "exceeds 15"),
        ("milesight-em310-udl", {"device": {"reset": False}}, "can only be true"),
        ("milesight-em400-udl", {"temperature_alarm": True}, "cannot encode field"),
        ("milesight-em400-udl", {"temperature_c": float("nan")}, "finite number"),
        ("milesight-em400-udl", {"tilt": 1}, "true or false"),
        (
            "dragino-ldds75",
            {
                "battery_mv": 3400,
                "distance_mm": 10,
                "distance_valid": True,
                "interrupt": False,
                "temperature_c": 20.0,
                "sensor_flag": True,
            },
            "contradicts",
        ),
        (
            "dragino-ldds75",
            {
                "battery_mv": 0x4000,
                "distance_mm": 300,
                "interrupt": False,
                "temperature_c": 20.0,
                "sensor_flag": True,
            },
            "battery_mv must be within",
        ),
        ("dragino-ldds75", {"battery_mv": 3000}, "missing field distance_mm"),
        ("tilsyn-hygiene-v1", {"message": "heartbeat"}, "message must be one of"),
        (
            "tilsyn-hygiene-v1",
            {
                "message": "dispenser_status",
                "time": 0,
                "use_count": 5,
                "refill_percent": 10,
                "battery_percent": 10,
                "uses": [9, 3],
            },
            "uses[1] must be within 9..65535",
        ),
        (
            "tilsyn-hygiene-v1",
            {
                "message": "dispenser_status",
                "time": 0,
                "use_count": 1,
                "refill_percent": 10,
                "battery_percent": 10,
                "uses": [1, 2],
            },
            "use_count must be within 2..",
        ),
        (
            "tilsyn-hygiene-v1",
            {"message": "badge_events", "time": 0, "role": "surgeon", "events": []},
            "role must be one of",
        ),
        (
            "tilsyn-hygiene-v1",
            {"message": "badge_events", "time": 0, "role": "nurse", "events": [{}] * 256},
            "at most 255",
        ),
        (
            "tilsyn-hygiene-v1",
            {"message": "badge_events", "time": 0, "role": "nurse", "name": "Kari", "events": []},
            "cannot encode field(s) name",
        ),
    ],
)
def test_encode_refuses_what_no_device_could_send(codec, fields, message):
    with pytest.raises(ValueError) as caught:
        encode(codec, fields)
    assert message in str(caught.value)
    assert not isinstance(caught.value, DecodeError)
