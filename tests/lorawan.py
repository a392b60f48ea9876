"""Network-server envelopes as tests send them, written from DOMAIN.md §3, not from our code."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any


def chirpstack_uplink(
    dev_eui: str,
    payload_hex: str,
    *,
    f_cnt: int = 1,
    f_port: int = 85,
    deduplication_id: str | None = None,
    time: datetime | None = None,
    application_id: str = "0b1c4a4e-6d1b-4d36-9c0e-1f0d8a2b3c4d",
) -> tuple[str, bytes]:
    """Topic and body of a ChirpStack v4 `up` event."""
    body: dict[str, Any] = {
        "deduplicationId": deduplication_id or str(uuid.uuid4()),
        "time": (time or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
        "deviceInfo": {
            "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242",
            "tenantName": "Herning Kommune",
            "applicationId": application_id,
            "applicationName": "waste",
            "deviceProfileId": "a8e2d6b4-2c1b-4f3e-9d0a-6b5c4d3e2f1a",
            "deviceProfileName": "Milesight EM310-UDL",
            "deviceName": f"em310-{dev_eui[-4:]}",
            "devEui": dev_eui,
            "tags": {},
        },
        "devAddr": "01f2a3b4",
        "adr": True,
        "dr": 5,
        "fCnt": f_cnt,
        "fPort": f_port,
        "data": base64.b64encode(bytes.fromhex(payload_hex)).decode(),
        "rxInfo": [
            {
                "gatewayId": "0016c001ff10a235",
                "uplinkId": 4242,
                "rssi": -97,
                "snr": 7.5,
                "channel": 2,
                "crcStatus": "CRC_OK",
            }
        ],
        "txInfo": {
            "frequency": 868500000,
            "modulation": {
                "lora": {"bandwidth": 125000, "spreadingFactor": 7, "codeRate": "CR_4_5"}
            },
        },
    }
    if f_cnt == 0:
        del body["fCnt"]  # protobuf JSON leaves zero values out
    topic = f"application/{application_id}/device/{dev_eui}/event/up"
    return topic, json.dumps(body).encode()


def chirpstack_join(dev_eui: str, application_id: str = "a") -> tuple[str, bytes]:
    """Topic and body of a ChirpStack v4 `join` event: the device starts a new session."""
    body = {
        "deduplicationId": str(uuid.uuid4()),
        "time": datetime.now(UTC).isoformat(),
        "deviceInfo": {"devEui": dev_eui, "applicationId": application_id},
        "devAddr": "01020304",
    }
    return f"application/{application_id}/device/{dev_eui}/event/join", json.dumps(body).encode()
