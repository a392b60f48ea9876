"""A fixed schedule sized to avoid overflow: what a town without sensors would have to run to
give the service level of the sensor-driven plan.

Each container keeps the scenario's weekday and rhythm unless that would let it overflow; it
then gets the least frequent of the calendar's more frequent rhythms that fits (every two weeks,
weekly on its district's day, twice weekly Monday-Thursday or Tuesday-Friday, three times
weekly Monday-Wednesday-Friday). Nothing is collected at weekends, so no rhythm shortens the
gap from Friday to Monday: a container that overflows in three days gets three times weekly
and overflows anyway.

A rhythm fits a container when a high percentile of its fill over the rhythm's longest gap
(whole days, plus one shift, since the truck may come early one day and late the next) stays
under the brim:

    FRESH_FILL + rate × gap × (1 + z × spread(gap)) ≤ 1

`rate` is the container's own mean fill rate over the history, each stretch counted until it
was full (`FillTracker.filling_rate`); a container without one gets its kind's median.
`spread` is the forecasts' (rate error and day-to-day variation); z = 1.64, the 95th
percentile, is the safety margin. The rates come from the sensors' history, standing in for
the one-off survey a town without sensors would size its schedule from: that is more than such
a town would know.

Events on the town's calendar are planned for, as a town would: in a week an event touches,
containers near it are sized at `EVENT_RATE` times their rate and get the extra collections.

The new rhythms start at the take-over, when some containers were last emptied long ago (a
glass igloo moving from four-weekly to two-weekly, say): one that would otherwise wait longer
than its new rhythm's gap for its first collection is emptied once on the first working day.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tilsyn.routing.study_forecast import EVENT_RATE, FRESH_FILL, FillTracker, spread
from tilsyn.sim.clock import LocalCalendar, weekday_of_day
from tilsyn.sim.scenario.collection import week_number
from tilsyn.sim.scenario.specs_waste import CollectionSlot

# Two collection days whose longest gap is four days; a Wednesday district goes Monday-Thursday.
TWICE_WEEKLY = {0: (0, 3), 1: (1, 4), 2: (0, 3), 3: (0, 3), 4: (1, 4)}
THRICE_WEEKLY = (0, 2, 4)
FRIDAY = 4


@dataclass(frozen=True)
class Rhythm:
    """Collection on `weekdays` (Monday 0) of the weeks where week number % `weeks` is
    `offset`."""

    name: str
    weeks: int
    weekdays: tuple[int, ...]
    offset: int = 0

    def due(self, day: int) -> bool:
        on_weekday = int(weekday_of_day(day)) in self.weekdays
        return on_weekday and week_number(day) % self.weeks == self.offset

    @property
    def longest_gap_days(self) -> int:
        if self.weeks > 1:
            return 7 * self.weeks
        days = sorted(self.weekdays)
        return max([b - a for a, b in itertools.pairwise(days)] + [days[0] + 7 - days[-1]])


def rhythms(slot: CollectionSlot, slowest_weeks: int = 4) -> list[Rhythm]:
    """A container's rhythms, from the scenario's own (or every `slowest_weeks` weeks, when
    that is more often) to the most frequent."""
    return [
        *(
            Rhythm(f"every {n} weeks", n, (slot.weekday,), slot.week_offset % n)
            for n in (4, 2)
            if n <= min(slot.interval_weeks, slowest_weeks)
        ),
        Rhythm("weekly", 1, (slot.weekday,)),
        Rhythm("twice weekly", 1, TWICE_WEEKLY[slot.weekday]),
        Rhythm("three times weekly", 1, THRICE_WEEKLY),
    ]


@dataclass(frozen=True)
class SizingRule:
    """The fill percentile (as z) a rhythm must keep under the brim; `shift_h` is how much
    later in the day a truck may come than the time before (the shift, 06:00-15:00).
    `slowest_weeks` 1 makes every container at least weekly: a fixed weekly schedule."""

    z: float = 1.64
    shift_h: float = 9.0
    slowest_weeks: int = 4

    def __post_init__(self) -> None:
        if not (self.z >= 0 and self.shift_h >= 0):
            raise ValueError("the sizing percentile's z and the shift length must not be negative")
        if self.slowest_weeks not in (1, 2, 4):
            raise ValueError("the slowest rhythm is every 1, 2 or 4 weeks")

    def high_fill(self, rate_per_h: float, rhythm: Rhythm) -> float:
        gap_h = 24.0 * rhythm.longest_gap_days + self.shift_h
        return FRESH_FILL + rate_per_h * gap_h * (1 + self.z * spread(gap_h))

    def choose(self, rate_per_h: float, slot: CollectionSlot) -> Rhythm:
        """The least frequent rhythm that fits; the most frequent when none does."""
        options = rhythms(slot, self.slowest_weeks)
        return next((r for r in options if self.high_fill(rate_per_h, r) <= 1.0), options[-1])


@dataclass(frozen=True)
class SizedSchedule:
    """Each container's rhythm, and the extra rhythm of the containers near an event in the
    weeks it touches (week number -> container -> rhythm)."""

    rhythm: Mapping[str, Rhythm]
    rate_per_h: Mapping[str, float]  # what the sizing assumed
    event_weeks: Mapping[int, Mapping[str, Rhythm]]
    catch_up: Mapping[str, int]  # container -> the day of one extra emptying at the start

    def due(self, container_id: str, day: int) -> bool:
        if self.rhythm[container_id].due(day) or self.catch_up.get(container_id) == day:
            return True
        extra = self.event_weeks.get(week_number(day), {}).get(container_id)
        return extra is not None and extra.due(day)

    def due_on(self, day: int, container_ids: Iterable[str]) -> list[str]:
        return sorted(cid for cid in container_ids if self.due(cid, day))


def size_schedule(
    tracker: FillTracker,
    takeover: int,
    last_emptied: Mapping[str, float],
    slots: Iterable[CollectionSlot],
    kinds: Mapping[str, str],
    rule: SizingRule,
    weeks: range,
    calendar: LocalCalendar,
) -> SizedSchedule:
    """Size every container's rhythm from the history up to the `takeover` day's midnight;
    plan for the calendar's events in `weeks` (week numbers). `last_emptied`: UTC seconds of
    each container's last emptying before the take-over, from the old schedule's records."""
    now = calendar.day_start(takeover)
    by_id = {s.container_id: s for s in slots}
    measured = {cid: tracker.filling_rate(cid, now) for cid in by_id}
    rates = {}
    for kind in set(kinds.values()):
        ids = [cid for cid in by_id if kinds[cid] == kind]
        known = [r for cid in ids if (r := measured[cid]) is not None]
        typical = statistics.median(known) if known else 0.0
        rates.update({cid: r if (r := measured[cid]) is not None else typical for cid in ids})
    rhythm = {cid: rule.choose(rates[cid], slot) for cid, slot in by_id.items()}
    event_weeks: dict[int, dict[str, Rhythm]] = {}
    for week in weeks:
        # The week's Monday to the end of the next Monday's shift, as the sizing's gaps run.
        monday = 7 * week - 3
        start, end = calendar.day_start(monday), calendar.day_start(monday + 8)
        for cid, slot in by_id.items():
            location = tracker.containers[cid].location
            if any(e.touches(location, start, end) for e in tracker.events):
                extra = rule.choose(EVENT_RATE * rates[cid], slot)
                if extra != rhythm[cid]:
                    event_weeks.setdefault(week, {})[cid] = extra
    first = next(d for d in range(takeover, takeover + 7) if int(weekday_of_day(d)) <= FRIDAY)
    catch_up = {}
    for cid in by_id:
        next_due = next(d for d in range(first, first + 29) if rhythm[cid].due(d))
        last = calendar.day_of(last_emptied[cid]) if cid in last_emptied else first - 365
        if next_due > first and next_due - last > rhythm[cid].longest_gap_days:
            catch_up[cid] = first
    return SizedSchedule(rhythm, rates, event_weeks, catch_up)
