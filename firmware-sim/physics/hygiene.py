"""Staff movement and hand hygiene on a ward: who enters which zone when, and whether they use
a dispenser at each opportunity.

Each person on a shift wears one badge. Visits to zones arrive as a Poisson process per role
(slower at night), separated by at least a walk so that two opportunities never share one
dispense. Each opportunity (patient zone entry and exit, clean room entry, unclean room exit)
is acted on with the ward's probability for its zone type; the dispense happens shortly
before an entry or after an exit, at the zone's dispenser. Patients and visitors use the
bedside dispensers too, without a badge. Everything is drawn per (seed, ward, day, shift).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from tilsyn.sim.clock import LocalCalendar
from tilsyn.sim.scenario.specs_hospital import DispenserSpec, ShiftSpec, WardSpec, ZoneSpec
from tilsyn.sim.seeding import python_stream

DURATION_LOG_SD = 0.5
LEAD_S = 5.0  # a dispense is at least this far from the entry or exit it belongs to
ACTIVE_HOURS = (8.0, 20.0)  # when patients and visitors use the bedside dispensers


@dataclass(frozen=True, slots=True)
class BadgeEvent:
    """What a badge logs: entry/exit with the zone id, dispense with the dispenser id."""

    badge: int
    at: float
    event: str
    zone_type: str
    ref: int


@dataclass(frozen=True, slots=True)
class DispenserUse:
    dispenser: int  # index into the scenario's dispensers
    at: float
    badge: int | None  # None: a patient or visitor


@dataclass(frozen=True, slots=True)
class Opportunity:
    """Ground truth of one hand-hygiene opportunity."""

    badge: int
    at: float
    moment: str  # "entry" or "exit"
    zone_id: int
    zone_type: str
    compliant: bool


@dataclass(slots=True)
class WardDay:
    badge_events: list[BadgeEvent]
    uses: list[DispenserUse]
    opportunities: list[Opportunity]


def _is_night(shift: ShiftSpec) -> bool:
    end = shift.end_hour + (24 if shift.end_hour <= shift.start_hour else 0)
    middle = ((shift.start_hour + end) / 2) % 24
    return middle >= 22 or middle < 6


class WardActivity:
    """The activity of one ward, day by day."""

    def __init__(
        self,
        ward: WardSpec,
        zones: Sequence[ZoneSpec],
        dispensers: Sequence[DispenserSpec],
        badge_indices: Sequence[int],
        calendar: LocalCalendar,
        seed: int,
    ) -> None:
        self.ward, self.calendar, self.seed = ward, calendar, seed
        self.zones: dict[str, list[ZoneSpec]] = {}
        for zone in zones:
            self.zones.setdefault(zone.zone_type, []).append(zone)
        self.dispenser_of_zone = {d.zone_id: n for n, d in enumerate(dispensers)}
        self.dispenser_ids = [d.dispenser_id for d in dispensers]
        self.bedside = [n for n, d in enumerate(dispensers) if d.room_type == "patient_zone"]
        self.crew = self._crew(badge_indices)

    def _crew(self, badge_indices: Sequence[int]) -> list[tuple[ShiftSpec, str, int]]:
        """(shift, role, badge) in the order the scenario issued the ward's badges."""
        badges = iter(badge_indices)
        return [
            (shift, role, next(badges))
            for shift in self.ward.shifts
            for role, count in shift.staffing.items()
            for _ in range(count)
        ]

    def day(self, day: int) -> WardDay:
        """Everything that happens in shifts starting on local day `day`."""
        result = WardDay([], [], [])
        for number, (shift, role, badge) in enumerate(self.crew):
            rng = python_stream(self.seed, "ward", self.ward.ward_id, day, number)
            start = self.calendar.at_local(day, shift.start_hour)
            end_day = day + (1 if shift.end_hour <= shift.start_hour else 0)
            end = self.calendar.at_local(end_day, shift.end_hour)
            self._work(rng, shift, role, badge, start, end, result)
        self._visitors(
            python_stream(self.seed, "ward", self.ward.ward_id, day, "visitors"), day, result
        )
        return result

    def _work(
        self,
        rng: random.Random,
        shift: ShiftSpec,
        role: str,
        badge: int,
        start: float,
        end: float,
        out: WardDay,
    ) -> None:
        activity = self.ward.activities[role]
        factor = activity.night_factor if _is_night(shift) else 1.0
        rates = {z: r * factor for z, r in activity.visits_per_hour.items() if self.zones.get(z)}
        total = sum(rates.values())
        t = start + rng.uniform(0, 600)
        while total > 0:
            t += max(self.ward.min_walk_s, rng.expovariate(total) * 3600)
            zone_type = rng.choices(list(rates), weights=list(rates.values()))[0]
            zone = rng.choice(self.zones[zone_type])
            median = activity.median_minutes[zone_type] * 60
            leave = t + median * math.exp(rng.gauss(0, DURATION_LOG_SD))
            if leave >= end:
                return
            self._visit(rng, badge, zone, t, leave, out)
            t = leave

    def _visit(
        self,
        rng: random.Random,
        badge: int,
        zone: ZoneSpec,
        entry: float,
        leave: float,
        out: WardDay,
    ) -> None:
        out.badge_events.append(BadgeEvent(badge, entry, "entry", zone.zone_type, zone.zone_id))
        out.badge_events.append(BadgeEvent(badge, leave, "exit", zone.zone_type, zone.zone_id))
        window = self.ward.compliance_window_s
        moments = {"patient_zone": ("entry", "exit"), "clean_room": ("entry",)}
        for moment in moments.get(zone.zone_type, ("exit",)):
            at = entry if moment == "entry" else leave
            compliant = rng.random() < self.ward.compliance[zone.zone_type]
            out.opportunities.append(
                Opportunity(badge, at, moment, zone.zone_id, zone.zone_type, compliant)
            )
            if compliant:
                lead = rng.uniform(LEAD_S, window - LEAD_S)
                used = at - lead if moment == "entry" else at + lead
                self._dispense(rng, badge, zone, used, out)

    def _dispense(
        self, rng: random.Random, badge: int, zone: ZoneSpec, at: float, out: WardDay
    ) -> None:
        dispenser = self.dispenser_of_zone[zone.zone_id]
        out.uses.append(DispenserUse(dispenser, at, badge))
        if rng.random() < self.ward.badge_detection_probability:
            ref = self.dispenser_ids[dispenser]
            out.badge_events.append(BadgeEvent(badge, at, "dispense", zone.zone_type, ref))

    def _visitors(self, rng: random.Random, day: int, out: WardDay) -> None:
        start = self.calendar.at_local(day, ACTIVE_HOURS[0])
        hours = ACTIVE_HOURS[1] - ACTIVE_HOURS[0]
        for dispenser in self.bedside:
            t = start
            rate = self.ward.visitor_uses_per_hour
            while rate > 0:
                t += rng.expovariate(rate) * 3600
                if t >= start + hours * 3600:
                    break
                out.uses.append(DispenserUse(dispenser, t, None))
