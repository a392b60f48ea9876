"""Receipts to home hubs: which of their messages a committed batch has dealt with.

A broker's PUBACK does not prove a message was stored: a broker restarted without its
subscribers acknowledges messages and routes them to nobody. So after each commit the ingest
names, per hub, every edge message id of the batch on `tilsyn/edge/{hub}/receipt` (QoS 1), and the
agent deletes a message only then. A message counts as dealt with when it was stored, found stored
before (duplicate), or kept in dead letters or quarantine with a reason: none of these is lost,
and sending it again would change nothing.

A payload without a readable `messageId` cannot be named; the agent never sends one, and whatever
sent it gets no receipt. Receipts are not retried: a lost one makes the hub send again, and the
repeat is stored as a duplicate and receipted anew.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from tilsyn.mqtt import Message
from tilsyn.platform.ingest.edge import EDGE_UP

MAX_MESSAGE_ID = 128  # as `EdgeEnvelope.message_id`
# Ids per receipt: keeps a receipt (at most 128 characters an id) far below the broker's maximum
# packet size. One batch gives a hub one receipt unless it names more.
MAX_IDS_PER_RECEIPT = 500


def receipt_topic(hub_id: str) -> str:
    return f"tilsyn/edge/{hub_id}/receipt"


def receipts_for(batch: Sequence[Message], stored_at: float) -> list[tuple[str, bytes]]:
    """(topic, payload) of the receipts for the hub messages in a committed batch."""
    ids_by_hub: dict[str, dict[str, None]] = {}  # insertion-ordered sets
    for message in batch:
        hub = EDGE_UP.match(message.topic)
        message_id = _message_id(message.payload) if hub is not None else None
        if hub is not None and message_id is not None:
            ids_by_hub.setdefault(hub[1], {})[message_id] = None
    at = datetime.fromtimestamp(stored_at, UTC).isoformat(timespec="milliseconds")
    receipts = []
    for hub_id, unique in ids_by_hub.items():
        ids = list(unique)
        for first in range(0, len(ids), MAX_IDS_PER_RECEIPT):
            body = {
                "hubId": hub_id,
                "messageIds": ids[first : first + MAX_IDS_PER_RECEIPT],
                "storedAt": at,
            }
            receipts.append((receipt_topic(hub_id), json.dumps(body, separators=(",", ":"))))
    return [(topic, body.encode()) for topic, body in receipts]


def _message_id(payload: bytes) -> str | None:
    """The `messageId` of an edge message, also of one that failed validation."""
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past any message
        return None
    message_id = body.get("messageId") if isinstance(body, dict) else None
    if isinstance(message_id, str) and 0 < len(message_id) <= MAX_MESSAGE_ID:
        return message_id
    return None
