"""Compliance counts from a live stream of badge messages, and from a complete day.

Badges buffer events and send them in batches, and the network may deliver those batches out of
order. The aggregator for one badge therefore holds events back until no message within the
allowed lateness can change them: an opportunity is decided once its window ends more than
`lateness_s` before the newest event seen (or before the clock passed to `tick`). Events that
arrive after their moment has been decided are dropped, never used to rewrite counts already
handed out, and counted per local day (`take_dropped`), so that what a ward's rates miss can
be shown next to them.

The ingest keeps one aggregator per badge, keyed by whatever identifies the radio upstream; that
key never enters this package, and what comes out is `ComplianceCount`s, which have no place
for it. Their counts from many badges are added up with `counts.merge`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tilsyn.platform.hygiene.counts import ComplianceCount, DroppedCount, DropReason, merge, tally
from tilsyn.platform.hygiene.events import BadgeEvent, events_of
from tilsyn.platform.hygiene.matching import BadgeTimeline
from tilsyn.platform.hygiene.site import OPPORTUNITIES, Site, ZoneType

DEFAULT_LATENESS_S = 15 * 60
"""Three missed 5-minute uplinks: a badge backlog older than this is reported late."""


class BadgeAggregator:
    """One badge's messages in, finalised anonymous counts out."""

    def __init__(self, site: Site, lateness_s: int | None = DEFAULT_LATENESS_S) -> None:
        """`lateness_s=None` holds everything until `flush`, for a day that is already complete."""
        if lateness_s is not None and lateness_s < 0:
            raise ValueError("lateness_s must not be negative")
        self._site = site
        self._lateness_s = lateness_s
        self._timeline = BadgeTimeline(site)
        self._newest: int | None = None
        self.dropped: Counter[str] = Counter()
        """Events not used, by reason: duplicate, late, unmapped (zone not configured)."""
        self._lost: Counter[tuple[date, DropReason, ZoneType | None]] = Counter()

    def use_site(self, site: Site) -> None:
        self._site = site
        self._timeline.use_site(site)

    def state(self) -> dict[str, Any]:
        """What the aggregator holds back, as JSON, once its dropped events were taken."""
        if self._lost:
            raise ValueError("take the dropped events before saving the state")
        return {"timeline": self._timeline.state(), "newest": self._newest}

    @classmethod
    def from_state(
        cls, site: Site, state: Mapping[str, Any], lateness_s: int | None = DEFAULT_LATENESS_S
    ) -> BadgeAggregator:
        aggregator = cls(site, lateness_s)
        aggregator._timeline = BadgeTimeline.from_state(site, state["timeline"])
        aggregator._newest = state["newest"]
        return aggregator

    def add(self, message: Mapping[str, Any]) -> list[ComplianceCount]:
        """Take one decoded badge_events message; return the counts it made final."""
        for event in events_of(message):
            admission = self._timeline.add(event)
            if admission != "added":
                self.dropped[admission] += 1
                if admission != "duplicate":  # a copy of what was counted loses nothing
                    self._lost[self._lost_key(event, admission)] += 1
            elif self._newest is None or event.time > self._newest:
                self._newest = event.time
        if self._newest is None or self._lateness_s is None:
            return []
        return self._decide(self._newest - self._lateness_s)

    @property
    def held_events(self) -> int:
        """How many events are held back: a tick that decides nothing and forgets none
        changes nothing worth storing but how far it has decided."""
        return self._timeline.held_events

    def tick(self, now: int) -> list[ComplianceCount]:
        """Let wall-clock time finalise a badge that has gone quiet."""
        if self._lateness_s is None:
            return []
        return self._decide(now - self._lateness_s)

    def flush(self) -> list[ComplianceCount]:
        """Decide everything held: the badge's day is over and nothing more will come."""
        if self._newest is None:
            return []
        longest_after = max(self._site.entry_window.after_s, self._site.exit_window.after_s)
        return self._decide(self._newest + longest_after)

    def take_dropped(self, ward: str) -> list[DroppedCount]:
        """The late and unmapped events since the last call, for the badge's ward."""
        taken = [DroppedCount(ward, *key, events) for key, events in self._lost.items()]
        self._lost.clear()
        return taken

    def _decide(self, until: int) -> list[ComplianceCount]:
        return tally(self._timeline.decide(until))

    def _lost_key(
        self, event: BadgeEvent, reason: DropReason
    ) -> tuple[date, DropReason, ZoneType | None]:
        day = datetime.fromtimestamp(event.time, ZoneInfo(self._site.timezone)).date()
        opportunity = (event.kind, event.zone) in OPPORTUNITIES
        return day, reason, event.zone if opportunity else None


def day_counts(badges: Iterable[Iterable[Mapping[str, Any]]], site: Site) -> list[ComplianceCount]:
    """Counts for a complete day: each inner iterable is every message of one badge, any order."""
    counts: list[ComplianceCount] = []
    for messages in badges:
        aggregator = BadgeAggregator(site, lateness_s=None)
        for message in messages:
            counts += aggregator.add(message)
        counts += aggregator.flush()
    return merge(counts)
