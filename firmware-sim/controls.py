"""Downlink commands as integrations receive them, turned into (dev_eui, fPort, bytes).

ChirpStack: topic `application/{app}/device/{devEui}/command/down`, body
`{"devEui", "confirmed", "fPort", "data" (base64)}`. The Things Stack: topic
`v3/{app}@{tenant}/devices/{device_id}/down/push`, body `{"downlinks": [{"f_port",
"frm_payload" (base64), ...}]}`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping

CHIRPSTACK_DOWN = re.compile(r"application/[^/]+/device/([0-9a-fA-F]{16})/command/down")
TTS_DOWN = re.compile(r"v3/[^/]+/devices/([^/]+)/down/(?:push|replace)")


def parse_downlink_command(
    topic: str, payload: bytes, device_names: Mapping[str, str]
) -> list[tuple[str, int, bytes]]:
    """The downlinks a command carries; `device_names` maps Things Stack ids to DevEUIs."""
    body = json.loads(payload)
    chirpstack = CHIRPSTACK_DOWN.fullmatch(topic)
    if chirpstack:
        dev_eui = chirpstack.group(1).lower()
        return [(dev_eui, int(body["fPort"]), base64.b64decode(body["data"]))]
    tts = TTS_DOWN.fullmatch(topic)
    if tts:
        dev_eui = device_names[tts.group(1)]
        return [
            (dev_eui, int(item["f_port"]), base64.b64decode(item["frm_payload"]))
            for item in body["downlinks"]
        ]
    raise ValueError(f"not a downlink command topic: {topic!r}")
