"""Staff badge firmware: buffer zone and dispenser events, send them in batches.

A badge sends its buffer `flush_s` after the first buffered event, or at once when the next
event would not fit the payload its data rate allows. Event times travel as offsets from the
batch's base time, read from the badge's own clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tilsyn.codecs import encode
from tilsyn.sim.physics.hygiene import BadgeEvent

HEADER_BYTES, EVENT_BYTES = 8, 5

Clock = Callable[[float], float]
Uplink = tuple[float, str, bytes]  # (send time, dev_eui, payload)


@dataclass(slots=True)
class BadgeFirmware:
    dev_eui: str
    role: str
    max_events: int
    flush_s: float
    clock: Clock
    buffer: list[BadgeEvent] = field(default_factory=list)

    def _deadline(self) -> float:
        return self.buffer[0].at + self.flush_s if self.buffer else float("inf")

    def _payload(self) -> bytes:
        base = int(self.clock(self.buffer[0].at))
        events: list[dict[str, Any]] = []
        for event in self.buffer:
            offset = max(int(self.clock(event.at)) - base, events[-1]["offset_s"] if events else 0)
            events.append(
                {
                    "offset_s": offset,
                    "event": event.event,
                    "zone": event.zone_type,
                    "ref": event.ref,
                }
            )
        fields = {"message": "badge_events", "time": base, "role": self.role, "events": events}
        return encode("tilsyn-hygiene-v1", fields)

    def _flush(self, at: float, out: list[Uplink]) -> None:
        out.append((at, self.dev_eui, self._payload()))
        self.buffer = []

    def record(self, event: BadgeEvent, out: list[Uplink]) -> None:
        if self.buffer and self._deadline() <= event.at:
            self._flush(self._deadline(), out)
        if len(self.buffer) >= self.max_events:
            self._flush(event.at, out)
        self.buffer.append(event)

    def until(self, end: float, out: list[Uplink]) -> None:
        """Sends a buffer whose deadline falls before `end`."""
        if self.buffer and self._deadline() < end:
            self._flush(self._deadline(), out)


def max_events(max_payload: int, configured: int) -> int:
    return max(1, min(configured, (max_payload - HEADER_BYTES) // EVENT_BYTES))
