"""Milesight device-attribute blocks (channel FF), decoded under the `device` key.

Devices send these after power-on or reset, and as answers to configuration downlinks.
Version strings follow the vendor decoder's rendering, so they read the same as in
Milesight's own tools: hardware and firmware majors in hex, the TSL version in decimal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.milesight_blocks import Channel, Fields, uint_channel
from tilsyn.codecs.reader import ByteReader

DEVICE = 0xFF
DOWNLINK_RESPONSE = 0xFE  # the same configuration answers, under a second channel id
LORAWAN_CLASSES = ("Class A", "Class B", "Class C", "Class CtoB")


def _version_parts(fields: Mapping[str, Any], key: str, pattern: str) -> tuple[str, str]:
    value = fields.get(key)
    match = re.fullmatch(pattern, value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"device.{key} must look like {pattern!r}, got {value!r}")
    return match.group(1), match.group(2)


def _checked(number: int, key: str, maximum: int) -> int:
    if number > maximum:
        raise ValueError(f"device.{key} part {number} exceeds {maximum}")
    return number


def _read_ipso(reader: ByteReader) -> Fields:
    byte = reader.uint(1, "IPSO version")
    return {"ipso_version": f"v{byte >> 4}.{byte & 0x0F}"}


def _write_ipso(fields: Mapping[str, Any]) -> bytes:
    major, minor = _version_parts(fields, "ipso_version", r"v(\d+)\.(\d+)")
    key = "ipso_version"
    return bytes([_checked(int(major), key, 15) << 4 | _checked(int(minor), key, 15)])


def _read_hardware(reader: ByteReader) -> Fields:
    major, minor = reader.take(2, "hardware version")
    return {"hardware_version": f"v{major:x}.{minor >> 4}"}


def _write_hardware(fields: Mapping[str, Any]) -> bytes:
    major, minor = _version_parts(fields, "hardware_version", r"v([0-9a-f]{1,2})\.(\d+)")
    return bytes([int(major, 16), _checked(int(minor), "hardware_version", 15) << 4])


def _read_firmware(reader: ByteReader) -> Fields:
    major, minor = reader.take(2, "firmware version")
    return {"firmware_version": f"v{major:x}.{minor:x}"}


def _write_firmware(fields: Mapping[str, Any]) -> bytes:
    pattern = r"v([0-9a-f]{1,2})\.([0-9a-f]{1,2})"
    major, minor = _version_parts(fields, "firmware_version", pattern)
    return bytes([int(major, 16), int(minor, 16)])


def _read_tsl(reader: ByteReader) -> Fields:
    major, minor = reader.take(2, "TSL version")
    return {"tsl_version": f"v{major}.{minor}"}


def _write_tsl(fields: Mapping[str, Any]) -> bytes:
    major, minor = _version_parts(fields, "tsl_version", r"v(\d+)\.(\d+)")
    return bytes(
        [_checked(int(major), "tsl_version", 255), _checked(int(minor), "tsl_version", 255)]
    )


def _read_serial(reader: ByteReader) -> Fields:
    return {"serial_number": reader.take(8, "serial number").hex()}


def _write_serial(fields: Mapping[str, Any]) -> bytes:
    value = fields.get("serial_number")
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{16}", value):
        raise ValueError(f"device.serial_number must be 16 lowercase hex digits, got {value!r}")
    return bytes.fromhex(value)


def _read_class(reader: ByteReader) -> Fields:
    start = reader.offset
    code = reader.uint(1, "LoRaWAN class")
    if code >= len(LORAWAN_CLASSES):
        raise DecodeError(f"unknown LoRaWAN class code {code}", start)
    return {"lorawan_class": LORAWAN_CLASSES[code]}


def _write_class(fields: Mapping[str, Any]) -> bytes:
    value = fields.get("lorawan_class")
    if value not in LORAWAN_CLASSES:
        raise ValueError(f"device.lorawan_class must be one of {LORAWAN_CLASSES}, got {value!r}")
    return bytes([LORAWAN_CLASSES.index(value)])


def _event_channel(channel_type: int, key: str) -> Channel:
    """An event whose one data byte carries nothing (the vendor decoder ignores it too)."""

    def read(reader: ByteReader) -> Fields:
        reader.take(1, key)
        return {key: True}

    def write(fields: Mapping[str, Any]) -> bytes:
        if fields.get(key) is not True:
            raise ValueError(f"device.{key} can only be true (the event happened)")
        return b"\xff"

    return Channel(DEVICE, channel_type, (key,), read, write)


DEVICE_CHANNELS: tuple[Channel, ...] = (
    _event_channel(0xFE, "reset"),
    _event_channel(0x0B, "power_on"),
    Channel(DEVICE, 0x01, ("ipso_version",), _read_ipso, _write_ipso),
    Channel(DEVICE, 0x09, ("hardware_version",), _read_hardware, _write_hardware),
    Channel(DEVICE, 0x0A, ("firmware_version",), _read_firmware, _write_firmware),
    Channel(DEVICE, 0xFF, ("tsl_version",), _read_tsl, _write_tsl),
    Channel(DEVICE, 0x16, ("serial_number",), _read_serial, _write_serial),
    Channel(DEVICE, 0x0F, ("lorawan_class",), _read_class, _write_class),
    uint_channel(DEVICE, 0x02, "collection_interval_s", 2),
    uint_channel(DEVICE, 0x03, "report_interval_s", 2),
)

# Decode-only: configuration answers may come on FE as well as FF.
DEVICE_ALIASES: tuple[Channel, ...] = (
    uint_channel(DOWNLINK_RESPONSE, 0x02, "collection_interval_s", 2),
    uint_channel(DOWNLINK_RESPONSE, 0x03, "report_interval_s", 2),
)
