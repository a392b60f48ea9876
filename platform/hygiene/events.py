"""Badge events on one time line, from decoded `tilsyn-hygiene-v1` badge_events messages.

Each event is identified by its message (the message's `time` and a checksum of its content)
and its position in that message. The same uplink delivered twice (gateways often forward one
frame more than once) is therefore recognised, two different messages that happen to share a
base second are not confused, and events at the same second keep the order the badge recorded
them in, whatever order the messages arrive in.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from tilsyn.platform.hygiene.site import Role, ZoneType

EventKind = Literal["entry", "exit", "dispense"]


@dataclass(frozen=True, order=True)
class BadgeEvent:
    time: int
    """Unix seconds: the message's time plus the event's offset."""
    key: tuple[int, int, int]
    """(message time, message checksum, index in the message): unique per badge, and a stable
    tie-breaker between events at the same second."""
    kind: EventKind
    zone: ZoneType
    ref: int
    """The zone id for entry and exit, the dispenser id for dispense."""
    role: Role
    """The role category the badge reported in this message (pooled badges change hands)."""


def events_of(message: Mapping[str, Any]) -> list[BadgeEvent]:
    """The events of one decoded badge_events message; anything else is refused."""
    if message.get("message") != "badge_events":
        raise ValueError(f"expected a badge_events message, got {message.get('message')!r}")
    base, role = message["time"], message["role"]
    if role not in get_args(Role):
        raise ValueError(f"unknown role {role!r}")
    checksum = zlib.crc32(repr((role, message["events"])).encode())
    return [
        _event((base, checksum, index), role, event)
        for index, event in enumerate(message["events"])
    ]


def _event(key: tuple[int, int, int], role: Role, event: Mapping[str, Any]) -> BadgeEvent:
    kind, zone = event["event"], event["zone"]
    if kind not in get_args(EventKind) or zone not in get_args(ZoneType):
        raise ValueError(f"unknown event {kind!r} in zone {zone!r}")
    return BadgeEvent(
        time=key[0] + event["offset_s"],
        key=key,
        kind=cast(EventKind, kind),
        zone=cast(ZoneType, zone),
        ref=event["ref"],
        role=role,
    )
