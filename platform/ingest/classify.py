"""Decide where each message goes: rows to store, quarantine (unknown device) or dead letters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from pydantic import ValidationError

from tilsyn.codecs import DecodeError, decode
from tilsyn.mqtt import Message
from tilsyn.platform.ingest import edge
from tilsyn.platform.ingest.directory import (
    BadgeDevice,
    ContainerDevice,
    DeviceDirectory,
    DispenserDevice,
    HubDevice,
)
from tilsyn.platform.ingest.envelopes import (
    CHIRPSTACK_JOIN,
    CHIRPSTACK_UP,
    TTS_JOIN,
    TTS_UP,
    EnvelopeError,
    LoRaUplink,
    parse_chirpstack_join,
    parse_chirpstack_uplink,
    parse_tts_join,
    parse_tts_uplink,
)
from tilsyn.platform.ingest.hygiene import badge_rows
from tilsyn.platform.ingest.lorawan import container_rows, dispenser_rows, uplink_time
from tilsyn.platform.ingest.outcomes import (
    Accepted,
    Outcome,
    dead_letter,
    frame_key,
    quarantine,
)
from tilsyn.platform.ingest.tables import DEVICE_JOINS

# Larger than any message a network server or hub sends (LoRaWAN payloads are at most 242 bytes,
# a hub's batch of FHIR resources a few hundred kB at most).
MAX_MESSAGE_BYTES = 1024 * 1024


class Classifier:
    def __init__(self, directory: DeviceDirectory) -> None:
        self._directory = directory

    def classify(self, message: Message) -> Outcome:
        if len(message.payload) > MAX_MESSAGE_BYTES:
            size = len(message.payload)
            return _dead(message, f"oversized: {size} bytes > {MAX_MESSAGE_BYTES}")
        hub_topic = edge.EDGE_UP.match(message.topic)
        if hub_topic is not None:
            return self._from_hub(message, hub_topic[1])
        health_topic = edge.EDGE_HEALTH.match(message.topic)
        if health_topic is not None:
            return self._hub_health(message, health_topic[1])
        try:
            join = _parse_join(message)
            if join is not None:
                return self._joined(*join)
            uplink = _parse_lora_envelope(message)
        except EnvelopeError as error:
            return _dead(message, str(error))
        outcome = self._from_lora_device(message, uplink)
        if isinstance(outcome, Accepted):
            frame = self._frame_key(uplink)
            return replace(outcome, frame_key=frame, source=(message.topic, message.payload))
        return outcome

    def _frame_key(self, uplink: LoRaUplink) -> str:
        return frame_key(uplink.dev_eui, self._directory.session(uplink.dev_eui), uplink.fcnt)

    def _joined(self, key: str, dev_eui: str, at: datetime) -> Outcome:
        """A join starts a new LoRaWAN session: frame counters start again from zero."""
        self._directory.joined(dev_eui, int(at.timestamp()))
        return Accepted(key, ((DEVICE_JOINS, ((at, dev_eui),)),))

    def _from_lora_device(self, message: Message, uplink: LoRaUplink) -> Outcome:
        device = self._directory.lookup(uplink.dev_eui)
        if device is None or isinstance(device, HubDevice):
            return quarantine(
                message.topic, message.payload, uplink.dev_eui, f"unknown device {uplink.dev_eui}"
            )
        try:
            fields = decode(device.codec, uplink.payload, uplink.fport)
        except DecodeError as error:
            return _dead(message, f"{device.codec} payload of {uplink.dev_eui} rejected: {error}")
        at = uplink_time(uplink.time, datetime.fromtimestamp(message.received_at, UTC))
        try:
            if isinstance(device, ContainerDevice):
                return container_rows(uplink, device, fields, at)
            if isinstance(device, DispenserDevice):
                return dispenser_rows(uplink, device, fields, at)
            assert isinstance(device, BadgeDevice)
            return badge_rows(uplink, self._zones_known(device, uplink.dev_eui), fields, at)
        except (KeyError, ValueError) as error:
            return _dead(message, f"{device.codec} message of {uplink.dev_eui} unusable: {error}")

    def _zones_known(self, badge: BadgeDevice, dev_eui: str) -> BadgeDevice:
        """A badge of a ward without zones, looked up again: the zones may be new."""
        if badge.zoned:
            return badge
        self._directory.forget(dev_eui)
        again = self._directory.lookup(dev_eui)
        return again if isinstance(again, BadgeDevice) else badge

    def _from_hub(self, message: Message, hub_id: str) -> Outcome:
        try:
            envelope = edge.parse_envelope(hub_id, message.payload)
        except (ValidationError, ValueError) as error:
            return _dead(message, edge.envelope_problem(error))
        hub = self._directory.lookup(hub_id)
        if not isinstance(hub, HubDevice):
            return quarantine(message.topic, message.payload, hub_id, f"unknown hub {hub_id}")
        received_at = datetime.fromtimestamp(message.received_at, UTC)
        return edge.hub_rows(message.topic, message.payload, envelope, hub, received_at)

    def _hub_health(self, message: Message, hub_id: str) -> Outcome:
        if not isinstance(self._directory.lookup(hub_id), HubDevice):
            return quarantine(message.topic, message.payload, hub_id, f"unknown hub {hub_id}")
        try:
            return edge.health_rows(hub_id, message.payload)
        except (ValidationError, ValueError) as error:
            return _dead(
                message,
                edge.envelope_problem(error).replace("an edge message", "a hub health report"),
            )


def _parse_join(message: Message) -> tuple[str, str, datetime] | None:
    """(idempotency key, devEUI, time) of a join event; None for any other topic."""
    chirpstack = CHIRPSTACK_JOIN.match(message.topic)
    if chirpstack is not None:
        return parse_chirpstack_join(chirpstack[2], message.payload)
    if TTS_JOIN.match(message.topic) is not None:
        return parse_tts_join(message.payload)
    return None


def _parse_lora_envelope(message: Message) -> LoRaUplink:
    chirpstack = CHIRPSTACK_UP.match(message.topic)
    if chirpstack is not None:
        return parse_chirpstack_uplink(chirpstack[2], message.payload)
    if TTS_UP.match(message.topic) is not None:
        return parse_tts_uplink(message.payload)
    raise EnvelopeError(f"no ingest route for topic {message.topic}")


def _dead(message: Message, reason: str) -> Outcome:
    return dead_letter(message.topic, message.payload, reason)
