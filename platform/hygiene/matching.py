"""Deciding one badge's opportunities: was there a rub in reach, in time, before contact?

An opportunity (a zone crossing WHO counts, see `site.OPPORTUNITIES`) is met by a `dispense`
event at a dispenser in reach of that zone, within the crossing's window, with two more rules:

- A rub cannot belong to the other side of a visit. For an entry, a rub after the entry counts
  only until the badge leaves that zone again (after that it is the "after" moment). For an exit,
  a rub before the exit counts only if it came after the badge last entered that zone.
- One rub meets at most one opportunity of the same zone, but may meet opportunities of several
  zones. This follows WHO's rule that indications which coincide need one hand-hygiene action:
  a rub between leaving one patient's zone and entering the next meets both moments, while a
  single rub during a short visit cannot be both "before" and "after" that same patient.

Opportunities are decided in order of their window's end (then the badge's own order), each
taking the earliest eligible rub still free for its zone. That order does not depend on when
decisions are made, so deciding a day in one go and deciding it message by message agree.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from datetime import datetime
from typing import Literal
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
        self._spent: set[tuple[tuple[int, int, int], int]] = set()  # (rub key, zone id)
        self.decided_until: int | None = None
        """Every opportunity whose window ends at or before this time is decided."""

    def use_site(self, site: Site) -> None:
        """The ward as registered now (a dispenser added at a bed): undecided events are
        matched against it."""
        self._site = site
        self._zone_of_day = ZoneInfo(site.timezone)

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
            if (rub.key, crossing.ref) not in self._spent:
                self._spent.add((rub.key, crossing.ref))
                met = True
                break
        day = datetime.fromtimestamp(crossing.time, self._zone_of_day).date()
        return Outcome(Cell(zone.ward, zone.zone_type, day, crossing.role), met)

    def _eligible_rubs(self, crossing: BadgeEvent, zone: Zone) -> list[BadgeEvent]:
        """Rubs in reach and in the window, not separated from the crossing by its opposite."""
        window = self._window(crossing)
        low = bisect_left(self._events, crossing.time - window.before_s, key=_time)
        high = bisect_right(self._events, crossing.time + window.after_s, key=_time)
        nearby = self._events[low:high]
        here = nearby.index(crossing)
        before, after = nearby[:here], nearby[here + 1 :]
        if crossing.kind == "exit":
            before = before[_last(before, "entry", crossing.ref) + 1 :]
        else:
            after = after[: _first(after, "exit", crossing.ref)]
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
        self._spent = {spent for spent in self._spent if spent[0] in self._keys}


def _time(event: BadgeEvent) -> int:
    return event.time


def _last(events: Sequence[BadgeEvent], kind: str, zone_id: int) -> int:
    matches = [i for i, e in enumerate(events) if e.kind == kind and e.ref == zone_id]
    return matches[-1] if matches else -1


def _first(events: Sequence[BadgeEvent], kind: str, zone_id: int) -> int:
    return next(
        (i for i, e in enumerate(events) if e.kind == kind and e.ref == zone_id), len(events)
    )
