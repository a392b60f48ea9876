"""ChirpStack v4 MQTT integration events: `application/{app}/device/{devEui}/event/{up|log}`.

Field names and order follow ChirpStack's protobuf (integration.proto, gw.proto). By default
zero and false values are left out, as the protobuf JSON mapping allows; ChirpStack releases
that emit defaults (`"fCnt": 0`, `"confirmed": false`) are matched with `emit_defaults=True`.
"""

from __future__ import annotations

import base64
from typing import Any

from tilsyn.sim.clock import rfc3339_ns
from tilsyn.sim.envelopes.json_util import compact, put
from tilsyn.sim.lorawan.radio import BANDWIDTH_HZ, Reception, spreading_factor
from tilsyn.sim.lorawan.records import DeviceContext, LogRecord, UplinkRecord

QOS = 0  # ChirpStack's default for integration events
NS_PROCESSING_S = 0.012


def _context(reception: Reception, received_at: float) -> str:
    """The packet forwarder's 32-bit microsecond counter, as opaque context bytes."""
    offset = int(reception.gateway.gateway_id[-6:], 16)
    counter = (int(received_at * 1e6) + offset) & 0xFFFFFFFF
    return base64.b64encode(counter.to_bytes(4, "big")).decode()


class ChirpStackFormat:
    """Renders uplink and log records as ChirpStack v4 JSON events."""

    name = "chirpstack"

    def __init__(self, *, emit_defaults: bool = False) -> None:
        self.emit_defaults = emit_defaults
        self._device_info: dict[str, dict[str, Any]] = {}

    def device_info(self, device: DeviceContext) -> dict[str, Any]:
        eui = device.identity.dev_eui
        if eui not in self._device_info:
            app, profile = device.application, device.profile
            info: dict[str, Any] = {
                "tenantId": app.tenant_id,
                "tenantName": app.tenant_name,
                "applicationId": app.application_id,
                "applicationName": app.name,
                "deviceProfileId": profile.profile_id,
                "deviceProfileName": profile.name,
                "deviceName": device.identity.device_name,
                "devEui": eui,
            }
            put(info, "deviceClassEnabled", "CLASS_A" if self.emit_defaults else "", False)
            put(info, "tags", dict(device.identity.tags), self.emit_defaults)
            self._device_info[eui] = info
        return self._device_info[eui]

    def _rx_info(self, record: UplinkRecord) -> list[dict[str, Any]]:
        ns_time = rfc3339_ns(record.received_at + NS_PROCESSING_S, zulu=False)
        found = []
        for reception, uplink_id in zip(record.receptions, record.uplink_ids, strict=True):
            gateway = reception.gateway
            entry: dict[str, Any] = {"gatewayId": gateway.gateway_id}
            put(entry, "uplinkId", uplink_id, self.emit_defaults)
            entry["nsTime"] = ns_time
            put(entry, "rssi", reception.rssi, self.emit_defaults)
            put(entry, "snr", reception.snr, self.emit_defaults)
            put(entry, "channel", reception.channel, self.emit_defaults)
            entry["location"] = {
                "latitude": gateway.lat,
                "longitude": gateway.lon,
                "altitude": gateway.altitude_m,
            }
            entry["context"] = _context(reception, record.received_at)
            entry["crcStatus"] = "CRC_OK"
            found.append(entry)
        return found

    def topic(self, device: DeviceContext, event: str) -> str:
        app = device.application.application_id
        return f"application/{app}/device/{device.identity.dev_eui}/event/{event}"

    def up(self, record: UplinkRecord, at: float) -> tuple[str, bytes, int]:
        """The `up` event; `at` (delivery time) is not part of it, `time` is the reception."""
        emit = self.emit_defaults
        document: dict[str, Any] = {
            "deduplicationId": record.deduplication_id,
            "time": rfc3339_ns(record.received_at, zulu=False),
            "deviceInfo": self.device_info(record.device),
            "devAddr": record.device.identity.dev_addr,
        }
        put(document, "adr", record.adr, emit)
        put(document, "dr", record.data_rate, emit)
        put(document, "fCnt", record.f_cnt, emit)
        put(document, "fPort", record.f_port, emit)
        put(document, "confirmed", record.confirmed, emit)
        put(document, "data", base64.b64encode(record.payload).decode(), emit)
        document["rxInfo"] = self._rx_info(record)
        lora = {
            "bandwidth": BANDWIDTH_HZ,
            "spreadingFactor": spreading_factor(record.data_rate),
            "codeRate": "CR_4_5",
        }
        document["txInfo"] = {
            "frequency": record.receptions[0].frequency,
            "modulation": {"lora": lora},
        }
        document["regionConfigId"] = "eu868"
        return self.topic(record.device, "up"), compact(document), QOS

    def log(self, record: LogRecord, at: float) -> tuple[str, bytes, int] | None:
        document = {
            "time": rfc3339_ns(record.at, zulu=False),
            "deviceInfo": self.device_info(record.device),
            "level": record.level,
            "code": record.code,
            "description": record.description,
            "context": dict(record.context),
        }
        return self.topic(record.device, "log"), compact(document), QOS
