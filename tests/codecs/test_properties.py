"""Properties every codec keeps, checked on generated input (Hypothesis)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tilsyn.codecs import CODEC_NAMES, DecodeError, decode, encode
from tilsyn.codecs.hygiene_enums import EVENTS, ROLES, ZONES
from tilsyn.codecs.milesight_device import LORAWAN_CLASSES

MILESIGHT = ("milesight-em310-udl", "milesight-em400-udl")
u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
tenths = st.integers(-32768, 32767).map(lambda raw: raw / 10)
percent = st.integers(0, 100)


def _version(major: st.SearchStrategy[int], minor: st.SearchStrategy[int], fmt: str):
    return st.tuples(major, minor).map(lambda parts: fmt.format(*parts))


device_attributes = st.fixed_dictionaries(
    {},
    optional={
        "reset": st.just(True),
        "power_on": st.just(True),
        "ipso_version": _version(st.integers(0, 15), st.integers(0, 15), "v{}.{}"),
        "hardware_version": _version(u8, st.integers(0, 15), "v{:x}.{}"),
        "firmware_version": _version(u8, u8, "v{:x}.{:x}"),
        "tsl_version": _version(u8, u8, "v{}.{}"),
        "serial_number": st.binary(min_size=8, max_size=8).map(bytes.hex),
        "lorawan_class": st.sampled_from(LORAWAN_CLASSES),
        "collection_interval_s": u16,
        "report_interval_s": u16,
    },
).filter(bool)

em310_fields = st.fixed_dictionaries(
    {},
    optional={
        "battery_percent": percent,
        "distance_mm": u16,
        "tilt": st.booleans(),
        "device": device_attributes,
    },
).filter(bool)


@st.composite
def em400_fields(draw: st.DrawFn) -> dict[str, Any]:
    fields = draw(em310_fields)
    for value_key, value, alarm_key in (
        ("temperature_c", tenths, "temperature_alarm"),
        ("distance_mm", u16, "distance_alarm"),
    ):
        if draw(st.booleans()):
            fields[value_key] = draw(value)
        if value_key in fields and draw(st.booleans()):
            fields[alarm_key] = draw(st.booleans())
    return fields


ldds75_fields = st.fixed_dictionaries(
    {
        "battery_mv": st.integers(0, 0x3FFF),
        "distance_mm": u16,
        "interrupt": st.booleans(),
        "temperature_c": tenths,
        "sensor_flag": st.booleans(),
    }
)

dispenser_status = st.lists(u16, max_size=255).flatmap(
    lambda uses: st.fixed_dictionaries(
        {
            "message": st.just("dispenser_status"),
            "time": u32,
            "use_count": st.integers(len(uses), 0xFFFF_FFFF),
            "refill_percent": percent,
            "battery_percent": percent,
            "uses": st.just(sorted(uses)),
        }
    )
)

badge_event: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {
        "offset_s": u16,
        "event": st.sampled_from(EVENTS),
        "zone": st.sampled_from(ZONES),
        "ref": u16,
    }
)

badge_events = st.fixed_dictionaries(
    {
        "message": st.just("badge_events"),
        "time": u32,
        "role": st.sampled_from(ROLES),
        "events": st.lists(badge_event, max_size=255).map(
            lambda events: sorted(events, key=lambda event: int(event["offset_s"]))
        ),
    }
)

FIELDS = {
    "milesight-em310-udl": em310_fields,
    "milesight-em400-udl": em400_fields(),
    "dragino-ldds75": ldds75_fields,
    "tilsyn-hygiene-v1": st.one_of(dispenser_status, badge_events),
}
any_codec_fields = st.sampled_from(CODEC_NAMES).flatmap(
    lambda codec: st.tuples(st.just(codec), FIELDS[codec])
)


def _expected(codec: str, fields: dict[str, Any]) -> dict[str, Any]:
    """What decode reports for `fields`: LDDS75 adds the derived distance_valid flag."""
    if codec == "dragino-ldds75":
        return {**fields, "distance_valid": fields["distance_mm"] >= 20}
    return fields


@given(any_codec_fields)
def test_encode_then_decode_gives_the_fields_back(codec_and_fields):
    codec, fields = codec_and_fields
    assert decode(codec, encode(codec, fields)) == _expected(codec, fields)


def _decode_or_error(codec: str, payload: bytes, fport: int | None) -> dict[str, Any] | None:
    try:
        fields = decode(codec, payload, fport)
    except DecodeError as error:
        assert error.offset is None or 0 <= error.offset <= len(payload)
        assert str(error)
        return None
    json.dumps(fields)  # what ingest stores and the CLI prints
    assert decode(codec, encode(codec, fields), fport) == fields
    return fields


@given(st.sampled_from(CODEC_NAMES), st.binary(max_size=64), st.sampled_from([None, 2, 85]))
def test_random_bytes_give_fields_or_decode_error_never_a_crash(codec, payload, fport):
    _decode_or_error(codec, payload, fport)


@given(any_codec_fields, st.data())
def test_a_corrupted_byte_gives_fields_or_decode_error(codec_and_fields, data):
    codec, fields = codec_and_fields
    payload = bytearray(encode(codec, fields))
    index = data.draw(st.integers(0, len(payload) - 1))
    payload[index] = data.draw(u8)
    _decode_or_error(codec, bytes(payload), None)


def _is_subset(part: dict[str, Any], whole: dict[str, Any]) -> bool:
    return all(
        _is_subset(value, whole[key]) if isinstance(value, dict) else whole.get(key) == value
        for key, value in part.items()
    )


@given(any_codec_fields, st.data())
def test_a_truncated_payload_fails_at_its_end(codec_and_fields, data):
    """Only a Milesight payload cut between two blocks is still valid: it has fewer blocks."""
    codec, fields = codec_and_fields
    payload = encode(codec, fields)
    cut = data.draw(st.integers(0, len(payload) - 1))
    try:
        shorter = decode(codec, payload[:cut])
    except DecodeError as error:
        assert error.offset == cut
    else:
        assert codec in MILESIGHT
        assert _is_subset(shorter, decode(codec, payload))


@pytest.mark.parametrize("codec", ["dragino-ldds75", "tilsyn-hygiene-v1"])
@given(data=st.data())
def test_fixed_layouts_reject_trailing_bytes_where_they_start(codec, data):
    payload = encode(codec, data.draw(FIELDS[codec]))
    extra = data.draw(st.binary(min_size=1, max_size=4))
    with pytest.raises(DecodeError, match="trailing") as caught:
        decode(codec, payload + extra)
    assert caught.value.offset == len(payload)
