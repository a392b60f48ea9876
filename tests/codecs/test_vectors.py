"""Known payloads decode to exactly the documented fields (DOMAIN.md §2, docs/codecs.md)."""

from __future__ import annotations

import pytest

from tilsyn.codecs import CODEC_NAMES, DecodeError, decode, encode


def test_codec_names_are_the_published_four():
    assert CODEC_NAMES == (
        "milesight-em310-udl",
        "milesight-em400-udl",
        "dragino-ldds75",
        "tilsyn-hygiene-v1",
    )


@pytest.mark.parametrize(
    ("codec", "payload", "fport", "expected"),
    [
        (
            "milesight-em310-udl",
            "01755C03824408040001",
            85,
            {"battery_percent": 92, "distance_mm": 2116, "tilt": True},
        ),
        (
            "milesight-em400-udl",
            "01755C0367010104824408050001",
            85,
            {"battery_percent": 92, "temperature_c": 25.7, "distance_mm": 2116, "tilt": True},
        ),
        (
            "milesight-em400-udl",
            "8367E800018482410601",
            85,
            {
                "temperature_c": 23.2,
                "temperature_alarm": True,
                "distance_mm": 1601,
                "distance_alarm": True,
            },
        ),
        (
            "dragino-ldds75",
            "0D480B0500010501",
            2,
            {
                "battery_mv": 3400,
                "distance_mm": 2821,
                "distance_valid": True,
                "interrupt": False,
                "temperature_c": 26.1,
                "sensor_flag": True,
            },
        ),
    ],
)
def test_vendor_vectors_decode_exactly(codec, payload, fport, expected):
    fields = decode(codec, bytes.fromhex(payload), fport)
    assert fields == expected
    assert encode(codec, fields) == bytes.fromhex(payload)


def test_milesight_power_on_attributes_decode_under_device():
    payload = "FF0BFF FF0101 FF166136D12345678901 FF090140 FF0A0114 FF0F00 FFFF0203"
    fields = decode("milesight-em310-udl", bytes.fromhex(payload.replace(" ", "")))
    assert fields == {
        "device": {
            "power_on": True,
            "ipso_version": "v0.1",
            "serial_number": "6136d12345678901",
            "hardware_version": "v1.4",
            "firmware_version": "v1.14",
            "lorawan_class": "Class A",
            "tsl_version": "v2.3",
        }
    }


def test_milesight_interval_answers_decode_from_both_channel_ids():
    # FF 03 and FE 03 both answer a report-interval downlink: 0x0258 = 600 s.
    assert decode("milesight-em400-udl", bytes.fromhex("FF035802FE020A00")) == {
        "device": {"report_interval_s": 600, "collection_interval_s": 10}
    }


@pytest.mark.parametrize(("raw", "valid"), [(0, False), (19, False), (20, True), (280, True)])
def test_ldds75_distances_below_20_mm_are_flagged_not_rejected(raw, valid):
    payload = bytes.fromhex("0D48") + raw.to_bytes(2, "big") + bytes.fromhex("0000FA00")
    fields = decode("dragino-ldds75", payload, 2)
    assert fields["distance_mm"] == raw
    assert fields["distance_valid"] is valid
    assert fields["temperature_c"] == 25.0
    assert fields["sensor_flag"] is False


def test_ldds75_top_battery_bits_are_masked_and_temperature_is_signed():
    fields = decode("dragino-ldds75", bytes.fromhex("CD480B0501" + "FF3F" + "01"))
    assert fields["battery_mv"] == 3400
    assert fields["interrupt"] is True
    assert fields["temperature_c"] == -19.3


def test_hygiene_dispenser_status_documented_example():
    payload = bytes.fromhex("01 01 00F15365 D2040000 37 5A 03 0500 3C00 3D00".replace(" ", ""))
    assert decode("tilsyn-hygiene-v1", payload) == {
        "message": "dispenser_status",
        "time": 1_700_000_000,
        "use_count": 1234,
        "refill_percent": 55,
        "battery_percent": 90,
        "uses": [5, 60, 61],
    }


def test_hygiene_badge_events_documented_example():
    payload = bytes.fromhex("01 02 00F15365 01 02 0300 11 0C00 0900 31 2C01".replace(" ", ""))
    assert decode("tilsyn-hygiene-v1", payload) == {
        "message": "badge_events",
        "time": 1_700_000_000,
        "role": "nurse",
        "events": [
            {"offset_s": 3, "event": "entry", "zone": "patient_zone", "ref": 12},
            {"offset_s": 9, "event": "dispense", "zone": "patient_zone", "ref": 300},
        ],
    }


def test_hygiene_empty_reports_are_valid():
    assert decode("tilsyn-hygiene-v1", bytes.fromhex("010200F1536506" + "00"))["events"] == []
    status = decode("tilsyn-hygiene-v1", bytes.fromhex("010100F15365" + "00000000" + "640000"))
    assert status["uses"] == [] and status["refill_percent"] == 100


def test_unknown_codec_is_a_value_error_not_a_decode_error():
    with pytest.raises(ValueError, match="unknown codec 'acme-1'") as caught:
        decode("acme-1", b"\x00")
    assert not isinstance(caught.value, DecodeError)
    with pytest.raises(ValueError, match="unknown codec"):
        encode("acme-1", {})
