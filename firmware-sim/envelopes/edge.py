"""The edge agent's envelope for home-monitoring hubs: topic `tilsyn/edge/{hub_id}/up`, QoS 1,
body `{"messageId", "hubId", "sentAt", "entries": [FHIR resources]}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tilsyn.sim.clock import rfc3339_ms
from tilsyn.sim.envelopes.json_util import compact

QOS = 1


def edge_topic(hub_id: str) -> str:
    return f"tilsyn/edge/{hub_id}/up"


def edge_envelope(
    message_id: str, hub_id: str, sent_at: float, entries: Sequence[dict[str, Any]]
) -> bytes:
    """`sent_at` is the hub's own clock (UTC seconds), which may drift."""
    return compact(
        {
            "messageId": message_id,
            "hubId": hub_id,
            "sentAt": rfc3339_ms(sent_at),
            "entries": list(entries),
        }
    )
