"""Decide where each message goes: a reading, quarantine (unknown device) or dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from tilsyn.codecs import DecodeError, decode
from tilsyn.mqtt import Message
from tilsyn.platform.ingest.directory import ContainerDevice, DeviceDirectory
from tilsyn.platform.ingest.envelopes import (
    CHIRPSTACK_UP,
    TTS_UP,
    EnvelopeError,
    LoRaUplink,
    parse_chirpstack_uplink,
    parse_tts_uplink,
)

# Larger than any uplink a network server produces (LoRaWAN payloads are at most 242 bytes).
MAX_MESSAGE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ContainerReading:
    key: str
    time: datetime
    container_id: str
    dev_eui: str
    distance_mm: int | None
    fill_percent: float | None
    battery_percent: int | None
    tilt: bool | None
    temperature_c: float | None
    fcnt: int


@dataclass(frozen=True, slots=True)
class Rejection:
    place: Literal["quarantine", "dead_letters"]
    topic: str
    reason: str
    payload: bytes
    dev_eui: str | None = None


Outcome = ContainerReading | Rejection


def classify(message: Message, directory: DeviceDirectory) -> Outcome:
    if len(message.payload) > MAX_MESSAGE_BYTES:
        return _dead(message, f"oversized: {len(message.payload)} bytes > {MAX_MESSAGE_BYTES}")
    try:
        uplink = _parse_envelope(message)
    except EnvelopeError as error:
        return _dead(message, str(error))
    device = directory.lookup(uplink.dev_eui)
    if device is None:
        return Rejection(
            "quarantine",
            message.topic,
            f"unknown device {uplink.dev_eui}",
            message.payload,
            uplink.dev_eui,
        )
    try:
        fields = decode(device.codec, uplink.payload, uplink.fport)
    except DecodeError as error:
        return _dead(message, f"{device.codec} payload of {uplink.dev_eui} rejected: {error}")
    return _reading(uplink, device, fields, message.received_at)


def _parse_envelope(message: Message) -> LoRaUplink:
    chirpstack = CHIRPSTACK_UP.match(message.topic)
    if chirpstack is not None:
        return parse_chirpstack_uplink(chirpstack[2], message.payload)
    if TTS_UP.match(message.topic) is not None:
        return parse_tts_uplink(message.payload)
    raise EnvelopeError(f"no ingest route for topic {message.topic}")


def _reading(
    uplink: LoRaUplink, device: ContainerDevice, fields: dict[str, Any], received_at: float
) -> ContainerReading:
    distance = fields.get("distance_mm")
    return ContainerReading(
        key=uplink.idempotency_key,
        time=uplink.time or datetime.fromtimestamp(received_at, UTC),
        container_id=device.container_id,
        dev_eui=uplink.dev_eui,
        distance_mm=distance,
        fill_percent=device.geometry.fill_percent(distance) if distance is not None else None,
        battery_percent=_battery_percent(fields),
        tilt=fields.get("tilt"),
        temperature_c=fields.get("temperature_c"),
        fcnt=uplink.fcnt,
    )


def _battery_percent(fields: dict[str, Any]) -> int | None:
    if "battery_percent" in fields:
        return int(fields["battery_percent"])
    if "battery_mv" in fields:
        # Li-SOCl2 cells (Dragino LDDS75) sit near 3.6 V and are spent at about 3.0 V.
        millivolts = float(fields["battery_mv"])
        return round(min(100.0, max(0.0, (millivolts - 3000) / 600 * 100)))
    return None


def _dead(message: Message, reason: str) -> Rejection:
    return Rejection("dead_letters", message.topic, reason, message.payload)
