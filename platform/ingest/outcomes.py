"""What classifying one message produces: rows to store under an idempotency key, or a rejection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tilsyn.platform.ingest.tables import Row, Table


@dataclass(frozen=True, slots=True)
class Accepted:
    """Everything one message contributes, stored together or not at all."""

    key: str
    rows: tuple[tuple[Table, tuple[Row, ...]], ...]
    # A LoRaWAN frame's identity (device, session, fCnt): a new deduplication id on a frame
    # already stored is a replay, and goes to dead letters with the message (`source`).
    frame_key: str | None = None
    source: tuple[str, bytes] | None = None
    # Times in the message moved because the sender's clock was off (see hub_clock.py).
    clock_corrections: int = 0


@dataclass(frozen=True, slots=True)
class Rejection:
    place: Literal["quarantine", "dead_letters"]
    topic: str
    reason: str
    payload: bytes
    device_id: str | None = None


Outcome = Accepted | Rejection


def dead_letter(topic: str, payload: bytes, reason: str) -> Rejection:
    return Rejection("dead_letters", topic, reason, payload)


def quarantine(topic: str, payload: bytes, device_id: str, reason: str) -> Rejection:
    return Rejection("quarantine", topic, reason, payload, device_id)
