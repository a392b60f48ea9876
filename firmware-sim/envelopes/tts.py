"""The Things Stack v3 MQTT uplink messages: `v3/{app}@{tenant}/devices/{device_id}/up`.

Empty fields are left out, as The Things Stack documents for its JSON. EUIs are upper case,
64-bit numbers (frequency) are strings, durations are strings with an `s` suffix.
"""

from __future__ import annotations

import base64
from typing import Any

from tilsyn.sim.clock import rfc3339_ns
from tilsyn.sim.envelopes.json_util import compact, put
from tilsyn.sim.lorawan.radio import BANDWIDTH_HZ, Reception, spreading_factor
from tilsyn.sim.lorawan.records import LogRecord, UplinkRecord
from tilsyn.sim.seeding import ulid

QOS = 0
GATEWAY_SERVER_S = 0.03  # gateway to network server
NETWORK_SERVER_S = 0.2  # network server de-duplication to application server


def _timestamp(reception: Reception, received_at: float) -> int:
    offset = int(reception.gateway.gateway_id[-6:], 16)
    return (int(received_at * 1e6) + offset) & 0xFFFFFFFF


class TtsFormat:
    """Renders uplink records as The Things Stack v3 JSON uplink messages."""

    name = "tts"

    def _rx_metadata(self, record: UplinkRecord) -> list[dict[str, Any]]:
        gs_received = rfc3339_ns(record.received_at + GATEWAY_SERVER_S, zulu=True)
        received = rfc3339_ns(record.received_at, zulu=True)
        found = []
        for reception in record.receptions:
            gateway = reception.gateway
            entry: dict[str, Any] = {
                "gateway_ids": {
                    "gateway_id": f"gw-{gateway.name}",
                    "eui": gateway.gateway_id.upper(),
                },
                "time": received,
                "timestamp": _timestamp(reception, record.received_at),
                "rssi": reception.rssi,
                "channel_rssi": reception.rssi,
            }
            put(entry, "snr", reception.snr, False)
            entry["location"] = {
                "latitude": gateway.lat,
                "longitude": gateway.lon,
                "altitude": round(gateway.altitude_m),
                "source": "SOURCE_REGISTRY",
            }
            put(entry, "channel_index", reception.channel, False)
            entry["received_at"] = gs_received
            found.append(entry)
        return found

    def up(self, record: UplinkRecord, at: float) -> tuple[str, bytes, int]:
        identity, app = record.device.identity, record.device.application
        first = record.receptions[0]
        message: dict[str, Any] = {}
        put(message, "f_port", record.f_port, False)
        put(message, "f_cnt", record.f_cnt, False)
        put(message, "frm_payload", base64.b64encode(record.payload).decode(), False)
        message["rx_metadata"] = self._rx_metadata(record)
        lora = {
            "bandwidth": BANDWIDTH_HZ,
            "spreading_factor": spreading_factor(record.data_rate),
            "coding_rate": "4/5",
        }
        message["settings"] = {
            "data_rate": {"lora": lora},
            "frequency": str(first.frequency),
            "timestamp": _timestamp(first, record.received_at),
            "time": rfc3339_ns(record.received_at, zulu=True),
        }
        message["received_at"] = rfc3339_ns(record.received_at + NETWORK_SERVER_S, zulu=True)
        put(message, "confirmed", record.confirmed, False)
        message["consumed_airtime"] = f"{record.airtime_s:.6f}s"
        document = {
            "end_device_ids": {
                "device_id": identity.device_name,
                "application_ids": {"application_id": app.tts_application_id},
                "dev_eui": identity.dev_eui.upper(),
                "dev_addr": identity.dev_addr.upper(),
            },
            "correlation_ids": [f"as:up:{ulid(record.received_at, record.deduplication_id)}"],
            "received_at": rfc3339_ns(at, zulu=True),
            "uplink_message": message,
        }
        topic = f"v3/{app.tts_application_id}@{app.tts_tenant_id}/devices/{identity.device_name}/up"
        return topic, compact(document), QOS

    def log(self, record: LogRecord, at: float) -> tuple[str, bytes, int] | None:
        """The Things Stack publishes nothing on `up` for a retransmitted frame."""
        return None
