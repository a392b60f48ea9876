"""Deciding one badge's opportunities: was there a rub in reach, in time, before contact?

An opportunity (a zone crossing WHO counts, see `site.OPPORTUNITIES`) is met by a `dispense`
event at a dispenser in reach of that zone, within the crossing's window, with two more rules:

- A rub belongs only to the crossings next to it on the badge's time line: the last crossing
  before it and the first after it, of any zone. Any other crossing between a rub and an
  opportunity means the badge was in a zone in between (touched a patient, the medication
  room's shelves, the sluice), so the rub no longer cleans the hands for it: a rub before a
  visit to bed 1 does not count for entering bed 2, nor a rub after bed 2 for leaving bed 1.
- A rub between leaving one zone and entering the next meets both moments, even when the
  next is the same bed again. This follows WHO's rule that indications which coincide need
  one hand-hygiene action. A rub during a visit (after its entry, before its exit) meets at
  most one of them: it cannot be both "before" and "after" the same patient.

Opportunities are decided in order of their window's end (then the badge's own order), each
taking the earliest eligible rub still free. That order does not depend on when decisions
are made, so deciding a day in one go and deciding it message by message agree.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tilsyn.platform.hygiene.counts import Cell, Outcome
from tilsyn.platform.hygiene.events import BadgeEvent
from tilsyn.platform.hygiene.site import OPPORTUNITIES, Site, Window, Zone

Admission = Literal["added", "duplicate", "late", "unmapped"]


class BadgeTimeline:
    """The recent events of one badge and the rubs already spent on decided opportunities."""

    def __init__(self, site: Site) -> None:
        self.use_site(site)
        self._events: list[BadgeEvent] = []
        self._keys: set[tuple[int, int, int]] = set()
        # Rubs used, each with the crossing it met first (None once it can meet no more).
        self._spent: dict[tuple[int, int, int], BadgeEvent | None] = {}
        self.decided_until: int | None = None
        """Every opportunity whose window ends at or before this time is decided."""

    def use_site(self, site: Site) -> None:
        """The ward as registered now (a dispenser added at a bed): undecided events are
        matched against it."""
        self._site = site
        self._zone_of_day = ZoneInfo(site.timezone)

    def state(self) -> dict[str, Any]:
        """What this time line holds, as JSON: a matcher taking over goes on from it."""
        return {
            "events": [_event_state(e) for e in self._events],
            "spent": [[list(key), _event_state(first)] for key, first in self._spent.items()],
            "decided_until": self.decided_until,
        }

    @classmethod
    def from_state(cls, site: Site, state: dict[str, Any]) -> BadgeTimeline:
        timeline = cls(site)
        timeline._events = [_event_of(e) for e in state["events"]]
        timeline._keys = {e.key for e in timeline._events}
        timeline._spent = {
            (key[0], key[1], key[2]): None if first is None else _event_of(first)
            for key, first in state["spent"]
        }
        timeline.decided_until = state["decided_until"]
        return timeline

    @property
    def held_events(self) -> int:
        return len(self._events)

    def add(self, event: BadgeEvent) -> Admission:
        if event.key in self._keys:
            return "duplicate"
        if self.decided_until is not None and event.time <= self.decided_until:
            return "late"  # it could change decisions already handed out
        if event.kind != "dispense" and self._zone(event) is None:
            return "unmapped"
        insort(self._events, event)
        self._keys.add(event.key)
        return "added"

    def decide(self, until: int) -> list[Outcome]:
        """Decide every opportunity whose window ends in (decided_until, until]."""
        if self.decided_until is not None and until <= self.decided_until:
            return []
        due = [(e, zone) for e in self._events if (zone := self._due_zone(e, until)) is not None]
        due.sort(key=lambda pair: (self._deadline(pair[0]), pair[0]))
        outcomes = [self._decide(crossing, zone) for crossing, zone in due]
        self.decided_until = until
        self._forget_before(until - self._site.span_s)
        return outcomes

    def _decide(self, crossing: BadgeEvent, zone: Zone) -> Outcome:
        met = False
        for rub in self._eligible_rubs(crossing, zone):
            if rub.key not in self._spent:
                self._spent[rub.key] = crossing
                met = True
                break
            first = self._spent[rub.key]
            if first is not None and _between_visits(first, crossing):
                self._spent[rub.key] = None
                met = True
                break
        day = datetime.fromtimestamp(crossing.time, self._zone_of_day).date()
        return Outcome(Cell(zone.ward, zone.zone_type, day, crossing.role), met)

    def _eligible_rubs(self, crossing: BadgeEvent, zone: Zone) -> list[BadgeEvent]:
        """Rubs in reach and in the window with no other crossing between them and this one."""
        window = self._window(crossing)
        low = bisect_left(self._events, crossing.time - window.before_s, key=_time)
        high = bisect_right(self._events, crossing.time + window.after_s, key=_time)
        nearby = self._events[low:high]
        here = nearby.index(crossing)
        before, after = nearby[:here], nearby[here + 1 :]
        before = before[_last_crossing(before) + 1 :]
        after = after[: _first_crossing(after)]
        return [e for e in (*before, *after) if e.kind == "dispense" and e.ref in zone.dispensers]

    def _due_zone(self, event: BadgeEvent, until: int) -> Zone | None:
        """The zone of an opportunity whose window ends in (decided_until, until], else None."""
        if event.kind == "dispense" or (event.kind, event.zone) not in OPPORTUNITIES:
            return None
        deadline = self._deadline(event)
        if deadline > until or (self.decided_until is not None and deadline <= self.decided_until):
            return None
        return self._zone(event)

    def _window(self, crossing: BadgeEvent) -> Window:
        return self._site.entry_window if crossing.kind == "entry" else self._site.exit_window

    def _deadline(self, crossing: BadgeEvent) -> int:
        return crossing.time + self._window(crossing).after_s

    def _zone(self, crossing: BadgeEvent) -> Zone | None:
        """The configured zone, if the badge's zone type agrees with the installation's."""
        zone = self._site.zones.get(crossing.ref)
        return zone if zone is not None and zone.zone_type == crossing.zone else None

    def _forget_before(self, cutoff: int) -> None:
        """Events older than this can no longer affect an undecided opportunity."""
        keep = bisect_left(self._events, cutoff, key=_time)
        for event in self._events[:keep]:
            self._keys.discard(event.key)
        del self._events[:keep]
        self._spent = {key: first for key, first in self._spent.items() if key in self._keys}


def _event_state(event: BadgeEvent | None) -> list[Any] | None:
    if event is None:
        return None
    return [event.time, list(event.key), event.kind, event.zone, event.ref, event.role]


def _event_of(state: list[Any]) -> BadgeEvent:
    time, key, kind, zone, ref, role = state
    return BadgeEvent(time, (key[0], key[1], key[2]), kind, zone, ref, role)


def _time(event: BadgeEvent) -> int:
    return event.time


def _last_crossing(events: Sequence[BadgeEvent]) -> int:
    matches = [i for i, e in enumerate(events) if e.kind != "dispense"]
    return matches[-1] if matches else -1


def _first_crossing(events: Sequence[BadgeEvent]) -> int:
    return next((i for i, e in enumerate(events) if e.kind != "dispense"), len(events))


def _between_visits(one: BadgeEvent, other: BadgeEvent) -> bool:
    """Whether a rub next to both crossings lay between leaving a zone and entering the next
    (it may meet both), rather than within one visit (it may meet one)."""
    earlier, later = sorted((one, other))
    return earlier.kind == "exit" and later.kind == "entry"
