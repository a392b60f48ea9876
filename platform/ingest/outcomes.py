"""What classifying one message produces: rows to store under an idempotency key, or a rejection."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from tilsyn.platform.ingest.tables import Row, Table


@dataclass(frozen=True, slots=True)
class Rejection:
    place: Literal["quarantine", "dead_letters"]
    topic: str
    reason: str
    payload: bytes
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class Original:
    """A hub's Observation sent as an original (`final`) with the hub's id: the rows it adds to
    `vital_observations`, and the entry of its message it came in."""

    entry: int
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Accepted:
    """Everything one message contributes, stored together or not at all."""

    key: str
    rows: tuple[tuple[Table, tuple[Row, ...]], ...]
    # A LoRaWAN frame's identity (device, session, fCnt): a new deduplication id on a frame
    # already stored is a replay, and goes to dead letters with the message (`source`).
    frame_key: str | None = None
    # The message (topic, payload), for what the writer may still set aside with it: a
    # replayed frame, an original whose correction is stored already.
    source: tuple[str, bytes] | None = None
    # Times in the message moved because the sender's clock was off (see hub_clock.py).
    clock_corrections: int = 0
    # Parts of the message that cannot be stored (one entry of a hub's message), recorded with
    # the message when it is stored, so the rest of it is not held back.
    set_aside: tuple[Rejection, ...] = ()
    # Originals that a correction stored before them supersedes: the writer sets those aside
    # (superseded.py), as only it sees the stored corrections.
    originals: tuple[Original, ...] = ()


Outcome = Accepted | Rejection


def frame_key(dev_eui: str, session: int, fcnt: int) -> str:
    """A LoRaWAN frame's identity; `session` is the join's time in epoch seconds."""
    return f"fc:{dev_eui}:{session}:{fcnt}"


def dead_letter(topic: str, payload: bytes, reason: str) -> Rejection:
    return Rejection("dead_letters", topic, reason, payload)


def quarantine(topic: str, payload: bytes, device_id: str, reason: str) -> Rejection:
    return Rejection("quarantine", topic, reason, payload, device_id)


# Keys are indexed, and an index row holds at most about 2.7 kB: a sender's id longer than this
# (a network server's correlation id is some 40 characters) is kept by its hash.
MAX_KEY_CHARS = 200


def stored_key(key: str) -> str:
    """An idempotency key as `ingest_keys` holds it."""
    if len(key) <= MAX_KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
