"""The JSON the platform parses: messages of measurements and questionnaire answers on `up`, and
health reports on `health`.
(Receipts, which the agent parses, are in `receipts.py`.)

A message id is made once, when the message is queued, and stored with it: every retry sends
the same id, and the platform stores a message with an id it has seen as a duplicate.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tilsyn.edge.queue import QueueStats
from tilsyn.edge.readings import Reading
from tilsyn.edge.sources import DeviceStatus

MAX_ENTRIES = 50  # keeps one message well under a mobile link's comfortable size


@dataclass(frozen=True, slots=True)
class Outgoing:
    message_id: str
    body: bytes


def up_topic(hub_id: str) -> str:
    return f"tilsyn/edge/{hub_id}/up"


def health_topic(hub_id: str) -> str:
    return f"tilsyn/edge/{hub_id}/health"


def config_topic(hub_id: str) -> str:
    return f"tilsyn/edge/{hub_id}/config"


def rfc3339(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def pack(hub_id: str, readings: Sequence[Reading], now: float) -> list[Outgoing]:
    """Readings as messages of at most MAX_ENTRIES Observations each."""
    return pack_entries(hub_id, [reading.observation() for reading in readings], now)


def pack_entries(hub_id: str, entries: Sequence[Mapping[str, Any]], now: float) -> list[Outgoing]:
    """FHIR resources (Observations, QuestionnaireResponses) as messages of at most
    MAX_ENTRIES each."""
    messages = []
    for first in range(0, len(entries), MAX_ENTRIES):
        message_id = str(uuid.uuid4())
        body = {
            "messageId": message_id,
            "hubId": hub_id,
            "sentAt": rfc3339(now),
            "entries": list(entries[first : first + MAX_ENTRIES]),
        }
        messages.append(Outgoing(message_id, json.dumps(body, separators=(",", ":")).encode()))
    return messages


def restamp(body: bytes, now: float, clock_behind_s: float = 0.0) -> bytes:
    """The stored message with `sentAt` set to this attempt, and how far the hub's clock is
    known to run behind (receipts.py), if it does: the id and entries stay."""
    message = json.loads(body)
    message["sentAt"] = rfc3339(now)
    message.pop("clockBehindS", None)
    if clock_behind_s > 0:
        message["clockBehindS"] = round(clock_behind_s, 3)
    return json.dumps(message, separators=(",", ":")).encode()


def health(
    hub_id: str,
    now: float,
    stats: QueueStats,
    last_contact: float | None,
    resent: int,
    devices: Sequence[DeviceStatus],
    config: Mapping[str, Any],
    clock_behind_s: float = 0.0,
) -> bytes:
    """The health report. `queueDepth` counts messages awaiting a receipt too (`awaitingReceipt`
    of them); `resentWithoutReceipt` counts sends repeated for want of one. `config` (applied
    version, refusals) answers a nurse's "why does this hub not follow the new plan"."""
    body: dict[str, Any] = {
        "hubId": hub_id,
        "sentAt": rfc3339(now),
        "queueDepth": stats.depth,
        "queueBytes": stats.size_bytes,
        "oldestQueuedAt": rfc3339(stats.oldest_queued_at),
        "awaitingReceipt": stats.awaiting_receipt,
        "resentWithoutReceipt": resent,
        "lastContact": rfc3339(last_contact),
        "clockBehindS": round(clock_behind_s, 3),
        "dropped": {"total": stats.dropped_total, "byReason": stats.dropped},
        "devices": [
            {
                "deviceId": d.device_id,
                "kind": d.kind,
                "batteryPercent": d.battery_percent,
                "lastSeen": rfc3339(d.last_seen),
            }
            for d in devices
        ],
        "config": dict(config),
    }
    return json.dumps(body, separators=(",", ":")).encode()
