"""The JSON envelopes LoRaWAN network servers wrap device payloads in.

ChirpStack v4 uses the protobuf JSON mapping, which leaves out zero and false fields: every
field that may be zero has a default here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import (
    AliasPath,
    AwareDatetime,
    Base64Bytes,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
)

CHIRPSTACK_UP = re.compile(r"^application/([^/]+)/device/([0-9a-fA-F]{16})/event/up$")
CHIRPSTACK_JOIN = re.compile(r"^application/([^/]+)/device/([0-9a-fA-F]{16})/event/join$")
TTS_UP = re.compile(r"^v3/([^/]+)/devices/([^/]+)/up$")
TTS_JOIN = re.compile(r"^v3/([^/]+)/devices/([^/]+)/join$")


class EnvelopeError(ValueError):
    """The message is not a well-formed uplink envelope."""


@dataclass(frozen=True, slots=True)
class LoRaUplink:
    """One uplink, whichever network server delivered it."""

    idempotency_key: str
    dev_eui: str
    time: datetime | None
    fcnt: int
    fport: int
    payload: bytes


class _ChirpStackDeviceInfo(BaseModel):
    dev_eui: str = Field(alias="devEui", pattern=r"^[0-9a-fA-F]{16}$")


class _ChirpStackUplink(BaseModel):
    model_config = ConfigDict(extra="ignore")

    deduplication_id: UUID = Field(alias="deduplicationId")
    time: AwareDatetime | None = None  # a time without its offset is refused, not guessed
    device_info: _ChirpStackDeviceInfo = Field(alias="deviceInfo")
    f_cnt: int = Field(default=0, alias="fCnt", ge=0)
    f_port: int = Field(default=0, alias="fPort", ge=0, le=255)
    data: Base64Bytes = b""


class _TtsUplink(BaseModel):
    model_config = ConfigDict(extra="ignore")

    dev_eui: str = Field(
        validation_alias=AliasPath("end_device_ids", "dev_eui"), pattern=r"^[0-9a-fA-F]{16}$"
    )
    received_at: AwareDatetime
    f_cnt: int = Field(default=0, validation_alias=AliasPath("uplink_message", "f_cnt"), ge=0)
    f_port: int = Field(default=0, validation_alias=AliasPath("uplink_message", "f_port"))
    frm_payload: Base64Bytes = Field(
        default=b"", validation_alias=AliasPath("uplink_message", "frm_payload")
    )
    correlation_ids: list[str] = []


def parse_chirpstack_uplink(topic_dev_eui: str, body: bytes) -> LoRaUplink:
    try:
        event = _ChirpStackUplink.model_validate_json(body)
    except ValidationError as error:
        raise EnvelopeError(f"not a ChirpStack v4 uplink: {_first_problem(error)}") from error
    dev_eui = event.device_info.dev_eui.lower()
    if dev_eui != topic_dev_eui.lower():
        raise EnvelopeError(f"topic names device {topic_dev_eui} but the body {dev_eui}")
    return LoRaUplink(
        idempotency_key=f"cs:{event.deduplication_id}",
        dev_eui=dev_eui,
        time=event.time,
        fcnt=event.f_cnt,
        fport=event.f_port,
        payload=event.data,
    )


def parse_tts_uplink(body: bytes) -> LoRaUplink:
    try:
        event = _TtsUplink.model_validate_json(body)
    except ValidationError as error:
        raise EnvelopeError(f"not a The Things Stack v3 uplink: {_first_problem(error)}") from error
    dev_eui = event.dev_eui.lower()
    # The application server's correlation id is unique per uplink; without one fall back to
    # what identifies a frame.
    uplink_ids = [cid for cid in event.correlation_ids if cid.startswith("as:up:")]
    key = (
        uplink_ids[0] if uplink_ids else f"{dev_eui}:{event.f_cnt}:{event.received_at.isoformat()}"
    )
    return LoRaUplink(
        idempotency_key=f"tts:{key}",
        dev_eui=dev_eui,
        time=event.received_at,
        fcnt=event.f_cnt,
        fport=event.f_port,
        payload=event.frm_payload,
    )


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "body"
    return f"{where}: {problem['msg']}"


class _ChirpStackJoin(BaseModel):
    model_config = ConfigDict(extra="ignore")

    deduplication_id: UUID = Field(alias="deduplicationId")
    time: AwareDatetime
    device_info: _ChirpStackDeviceInfo = Field(alias="deviceInfo")


def parse_chirpstack_join(topic_dev_eui: str, body: bytes) -> tuple[str, str, datetime]:
    """(idempotency key, devEUI, time) of a ChirpStack `join` event."""
    try:
        event = _ChirpStackJoin.model_validate_json(body)
    except ValidationError as error:
        raise EnvelopeError(f"not a ChirpStack v4 join: {_first_problem(error)}") from error
    dev_eui = event.device_info.dev_eui.lower()
    if dev_eui != topic_dev_eui.lower():
        raise EnvelopeError(f"topic names device {topic_dev_eui} but the body {dev_eui}")
    return f"cs-join:{event.deduplication_id}", dev_eui, event.time


class _TtsJoinAccept(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_key_id: str = Field(min_length=1)  # names the new session's keys: one per join


class _TtsJoin(BaseModel):
    model_config = ConfigDict(extra="ignore")

    dev_eui: str = Field(
        validation_alias=AliasPath("end_device_ids", "dev_eui"), pattern=r"^[0-9a-fA-F]{16}$"
    )
    received_at: AwareDatetime
    join_accept: _TtsJoinAccept


def parse_tts_join(body: bytes) -> tuple[str, str, datetime]:
    """(idempotency key, devEUI, time) of a The Things Stack v3 `join` (join-accept) message.

    The topic names the device by its TTS device id, not its EUI, so only the body says which
    device it is (as for uplinks)."""
    try:
        event = _TtsJoin.model_validate_json(body)
    except ValidationError as error:
        raise EnvelopeError(f"not a The Things Stack v3 join: {_first_problem(error)}") from error
    key = f"tts-join:{event.join_accept.session_key_id}"
    return key, event.dev_eui.lower(), event.received_at
