"""Which of ingest's set-aside messages (quarantined or dead-lettered) are hand-hygiene data.

A badge's or dispenser's uplink carries a staff member's entries, exits and rubs to the second,
so the problem lists withhold it from the roles that may not read hand-hygiene data, and
retention keeps it no longer than the hand-hygiene data itself. A message is a badge's or a
dispenser's when the registry knows its device as one, or when its frame is a
tilsyn-hygiene-v1 one: the registry may not know the device yet (quarantine), so its bytes are
all there is to go by.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any

import psycopg

from tilsyn.codecs.hygiene_enums import BADGE_EVENTS, DISPENSER_STATUS, FORMAT_VERSION
from tilsyn.platform.ingest.envelopes import CHIRPSTACK_UP

HUB_TOPICS = "tilsyn/edge/"
HYGIENE_FAMILIES = ("badge", "dispenser")


def lora_device(topic: str, dev_eui: str | None, payload: bytes) -> tuple[str | None, bool]:
    """The DevEUI of a LoRaWAN message (stored with a quarantined one, else from its topic or
    envelope, however broken the rest is), and whether its frame is a tilsyn-hygiene-v1 one.
    The frame's header counts even when the rest does not decode."""
    body = _json(payload)
    if dev_eui is None:
        chirpstack = CHIRPSTACK_UP.match(topic)
        named = (
            chirpstack[2]
            if chirpstack is not None
            else _dig(body, ("end_device_ids", "dev_eui")) or _dig(body, ("deviceInfo", "devEui"))
        )
        dev_eui = named if isinstance(named, str) else None
    data = _dig(body, ("data",)) or _dig(body, ("uplink_message", "frm_payload"))
    try:
        frame = base64.b64decode(data, validate=True) if isinstance(data, str) else b""
    except (binascii.Error, ValueError):
        frame = b""
    hygiene = (
        len(frame) >= 2
        and frame[0] == FORMAT_VERSION
        and frame[1] in (BADGE_EVENTS, DISPENSER_STATUS)
    )
    return (None if dev_eui is None else dev_eui.lower()), hygiene


def hygiene_devices(conn: psycopg.Connection, devices: Iterable[str | None]) -> set[str]:
    """Which of these devices the registry knows as a badge or dispenser."""
    wanted = sorted({d for d in devices if d is not None})
    if not wanted:
        return set()
    rows = conn.execute(
        "SELECT device_id FROM devices WHERE device_id = ANY(%s) AND family = ANY(%s)",
        (wanted, list(HYGIENE_FAMILIES)),
    )
    return {row[0] for row in rows}


def hygiene_messages(
    conn: psycopg.Connection, messages: Iterable[tuple[int, str, str | None, bytes]]
) -> set[int]:
    """The ids of the messages (id, topic, DevEUI if stored, payload) that are a badge's or a
    dispenser's. A home hub's are patients' data, never hand-hygiene data."""
    lora = {
        id_: lora_device(topic, dev_eui, payload)
        for id_, topic, dev_eui, payload in messages
        if not topic.startswith(HUB_TOPICS)
    }
    known = hygiene_devices(conn, (device for device, _ in lora.values()))
    return {id_ for id_, (device, frame) in lora.items() if frame or device in known}


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return None


def _dig(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body
