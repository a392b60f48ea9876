"""A home hub's clock, checked against the platform's when its message arrives.

A hub stamps each message (`sentAt`) and its readings with its own clock. When `sentAt` is ahead
of the arrival time by more than `MAX_CLOCK_SKEW`, the hub's clock is fast and every time in the
message is shifted back by the difference. A reading still stamped in the future after that
comes from a meter with its own wrong clock; it is stored at the message's (corrected) sending
time, so it never becomes a patient's "newest" value for months. Each correction is counted,
and the count is shown in the ingest status.

A `sentAt` in the past cannot be told apart from history loaded after the fact (a backfill,
the simulator's replay), so the platform cannot see a clock that runs behind. The hub can:
its receipts carry the platform's time (edge/receipts.py), and a hub that finds its clock
behind says by how much (`clockBehindS`); every time in its messages then moves forward by
that much, again never past the message's arrival.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tilsyn.platform.ingest.lorawan import MAX_CLOCK_SKEW


@dataclass
class HubClock:
    offset: timedelta  # how far the hub's clock is ahead (behind: negative); zero within tolerance
    sent_at: datetime  # the message's sending time on the platform's clock
    corrections: int = 0

    @classmethod
    def measured(
        cls, sent_at: datetime, received_at: datetime, behind: timedelta = timedelta(0)
    ) -> HubClock:
        """From the message's `sentAt`, its arrival, and how far the hub says its clock runs
        behind."""
        ahead = sent_at - received_at
        if ahead > MAX_CLOCK_SKEW:  # fast: back to the arrival
            return cls(ahead, received_at)
        if behind > MAX_CLOCK_SKEW:  # slow, as the hub says: forward, never past the arrival
            return cls(-behind, min(sent_at + behind, received_at))
        return cls(timedelta(0), sent_at)

    def correct(self, at: datetime) -> datetime:
        corrected = at - self.offset
        if corrected > self.sent_at + MAX_CLOCK_SKEW:
            corrected = self.sent_at
        if corrected != at:
            self.corrections += 1
        return corrected
