"""The hand-hygiene fleet of a hospital scenario: badges and dispensers on every ward."""

from __future__ import annotations

import bisect
import heapq
from typing import Any

from tilsyn.sim.clock import LocalCalendar
from tilsyn.sim.devices.device_clock import device_time
from tilsyn.sim.devices.hygiene_badges import BadgeFirmware, Uplink, max_events
from tilsyn.sim.devices.hygiene_dispensers import HEADER_BYTES, USE_BYTES, DispenserFirmware
from tilsyn.sim.faults import FaultBook
from tilsyn.sim.lorawan.network import LorawanNetwork
from tilsyn.sim.physics.hygiene import BadgeEvent, DispenserUse, Opportunity, WardActivity
from tilsyn.sim.scenario.model import Scenario
from tilsyn.sim.seeding import python_stream

# A day's events in time order, with their times alongside for bisection.
DayTimeline = tuple[list[float], list[tuple[float, int, BadgeEvent | DispenserUse | Opportunity]]]


class HygieneFleet:
    """Badges and dispensers of all wards; ground truth of every opportunity in `opportunities`."""

    def __init__(
        self, scenario: Scenario, network: LorawanNetwork, faults: FaultBook, start: float
    ) -> None:
        self.network, self.faults = network, faults
        self.calendar = LocalCalendar(scenario.timezone)
        devices = scenario.parameters["devices"]
        low, high = devices["refill_delay_hours"]
        self.refill_hours = (float(low), float(high))
        self.activities = [
            WardActivity(
                ward,
                [z for z in scenario.zones if z.ward == ward.ward_id],
                scenario.dispensers,
                [n for n, b in enumerate(scenario.badges) if b.ward == ward.ward_id],
                self.calendar,
                scenario.seed,
            )
            for ward in scenario.wards
        ]
        self.badges = [
            BadgeFirmware(
                b.dev_eui,
                b.role,
                max_events(network.max_payload(b.dev_eui), int(devices["badge_max_events"])),
                float(devices["badge_flush_s"]),
                self._clock(b.dev_eui),
            )
            for b in scenario.badges
        ]
        rng = python_stream(scenario.seed, "dispensers", "initial")
        self.dispensers = [
            DispenserFirmware(
                dev_eui=d.dev_eui,
                interval_s=float(d.reporting_interval_s),
                doses=d.bottle_doses,
                max_uses=max(1, (network.max_payload(d.dev_eui) - HEADER_BYTES) // USE_BYTES),
                clock=self._clock(d.dev_eui),
                period_start=start - rng.uniform(0, d.reporting_interval_s),
                remaining=round(d.bottle_doses * rng.uniform(0.3, 1.0)),
                battery=rng.uniform(40.0, 100.0),
                use_count=rng.randrange(5_000, 200_000),  # installed long before the run
            )
            for d in scenario.dispensers
        ]
        self._rng = python_stream(scenario.seed, "dispensers", "refills")
        self._days: dict[int, DayTimeline] = {}
        self.opportunities: list[Opportunity] = []

    def _clock(self, dev_eui: str) -> Any:
        return lambda at: device_time(self.faults, dev_eui, at)

    def _day(self, day: int) -> DayTimeline:
        if day not in self._days:
            items: list[tuple[float, int, BadgeEvent | DispenserUse | Opportunity]] = []
            for activity in self.activities:
                ward_day = activity.day(day)
                items += [(e.at, 0, e) for e in ward_day.badge_events]
                items += [(u.at, 1, u) for u in ward_day.uses]
                items += [(o.at, 2, o) for o in ward_day.opportunities]
            items.sort(key=lambda item: (item[0], item[1]))
            self._days[day] = ([item[0] for item in items], items)
        return self._days[day]

    def _between(self, start: float, end: float) -> list[BadgeEvent | DispenserUse]:
        """Every event in [start, end), in time order, of shifts starting on these days or
        the day before; the window's opportunities go to the ground truth."""
        first, last = self.calendar.day_of(start) - 1, self.calendar.day_of(end)
        for old in [d for d in self._days if d < first]:
            del self._days[old]
        found: list[tuple[float, int, BadgeEvent | DispenserUse | Opportunity]] = []
        for day in range(first, last + 1):
            times, items = self._day(day)
            found += items[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)]
        found.sort(key=lambda item: (item[0], item[1]))
        events: list[BadgeEvent | DispenserUse] = []
        for _, _, item in found:
            if isinstance(item, Opportunity):
                self.opportunities.append(item)
            else:
                events.append(item)
        return events

    def advance(self, start: float, end: float) -> None:
        out: list[Uplink] = []
        for item in self._between(start, end):
            if isinstance(item, BadgeEvent):
                self.badges[item.badge].record(item, out)
            else:
                self.dispensers[item.dispenser].use(item.at, self._rng, self.refill_hours, out)
        for badge in self.badges:
            badge.until(end, out)
        for dispenser in self.dispensers:
            dispenser.until(end, out)
        for at, dev_eui, payload in heapq.nsmallest(len(out), out, key=lambda u: (u[0], u[1])):
            f_port = self.network.sessions[dev_eui].device.profile.f_port
            self.network.transmit(dev_eui, at, f_port, payload, confirmed=False)
