"""Home-monitoring hubs: patients measure, the hub turns readings into FHIR resources and
publishes them through the edge agent, buffering while its connection is down.

Ground truth for tests sits in `sessions` (every scheduled session, done or skipped).
"""

from __future__ import annotations

import random
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from tilsyn.codecs.fhir import build_observation, build_questionnaire_response
from tilsyn.sim.clock import LocalCalendar
from tilsyn.sim.devices.device_clock import device_time
from tilsyn.sim.devices.hub_links import HubLink
from tilsyn.sim.devices.hub_sessions import Session, sessions_on
from tilsyn.sim.envelopes.edge import QOS, edge_envelope, edge_topic
from tilsyn.sim.faults import FaultBook
from tilsyn.sim.outbox import Outbox
from tilsyn.sim.physics.episodes import EpisodeBook
from tilsyn.sim.physics.vitals import Physiology
from tilsyn.sim.scenario.model import Scenario
from tilsyn.sim.seeding import IdFactory, python_stream

STEP_S = 60.0  # one measurement after the other
TRANSFER_S = (2.0, 15.0)  # Bluetooth pairing and transfer before the hub can send
LATENCY_S = (0.2, 2.5)  # mobile network to broker
MAX_ENTRIES = 50


class HubFleet:
    def __init__(self, scenario: Scenario, outbox: Outbox, faults: FaultBook) -> None:
        self.scenario, self.outbox, self.faults = scenario, outbox, faults
        seed = scenario.seed
        self.calendar = LocalCalendar(scenario.timezone)
        self.zone = ZoneInfo(scenario.timezone)
        self.episodes = EpisodeBook(scenario.patients, scenario.episodes, seed)
        self.body = Physiology(scenario.variation, self.episodes, self.calendar, seed)
        self.links = {hub.hub_id: HubLink(hub, seed) for hub in scenario.hubs}
        self._ids = IdFactory(python_stream(seed, "hubs", "ids"))
        self._rng = python_stream(seed, "hubs", "delivery")
        self._days: dict[int, list[Session]] = {}
        self._buckets: dict[tuple[float, str], list[dict[str, Any]]] = {}
        self.sessions: list[Session] = []

    def _day(self, day: int) -> list[Session]:
        if day not in self._days:
            found = [
                s
                for p in self.scenario.patients
                for s in sessions_on(p, day, self.calendar, self.scenario.seed)
            ]
            self._days[day] = sorted(found, key=lambda s: s.scheduled)
        return self._days[day]

    def _stamp(self, hub_id: str, at: float) -> datetime:
        """A timestamp from the hub's clock, to the second, in local time."""
        return datetime.fromtimestamp(int(device_time(self.faults, hub_id, at)), self.zone)

    def _entries(self, session: Session, at: float, rng: random.Random) -> list[dict[str, Any]]:
        patient, entries = session.patient, []
        for step, plan in enumerate(session.measurements):
            when = at + step * STEP_S
            if plan.kind == "blood_pressure":
                value: Any = (
                    self.body.measure(patient, "systolic", when, rng),
                    self.body.measure(patient, "diastolic", when, rng),
                )
            else:
                value = self.body.measure(patient, plan.kind, when, rng)
            entries.append(
                build_observation(
                    patient.patient_id,
                    plan.kind,
                    value,
                    self._stamp(patient.hub_id, when),
                    observation_id=self._ids.uuid4(),
                    device_id=plan.device_id,
                )
            )
        when = at + len(session.measurements) * STEP_S
        for questionnaire in session.questionnaires:
            items = self.scenario.questionnaire_items[questionnaire.questionnaire]
            entries.append(
                build_questionnaire_response(
                    patient.patient_id,
                    questionnaire.questionnaire,
                    self.body.answers(patient, items, when, rng),
                    self._stamp(patient.hub_id, when),
                    response_id=self._ids.uuid4(),
                )
            )
        return entries

    def advance(self, start: float, end: float) -> None:
        for day in range(self.calendar.day_of(start) - 1, self.calendar.day_of(end) + 1):
            for session in self._day(day):
                if start <= session.scheduled < end:
                    self.sessions.append(session)
                if session.performed_at is not None and start <= session.performed_at < end:
                    self._take(session, session.performed_at)
        self._flush(end)

    def _take(self, session: Session, at: float) -> None:
        hub_id = session.patient.hub_id
        rng = python_stream(self.scenario.seed, "measure", session.patient.patient_id, int(at))
        entries = self._entries(session, at, rng)
        ready = at + len(entries) * STEP_S + self._rng.uniform(*TRANSFER_S)
        key = (self.links[hub_id].send_time(ready), hub_id)
        self._buckets.setdefault(key, []).extend(entries)

    def _flush(self, end: float) -> None:
        for key in sorted(k for k in self._buckets if k[0] < end):
            sent_at, hub_id = key
            entries = self._buckets.pop(key)
            for first in range(0, len(entries), MAX_ENTRIES):
                self._publish(hub_id, sent_at, entries[first : first + MAX_ENTRIES])

    def _publish(self, hub_id: str, sent_at: float, entries: list[dict[str, Any]]) -> None:
        payload = edge_envelope(
            self._ids.uuid4(), hub_id, device_time(self.faults, hub_id, sent_at), entries
        )
        if self.faults.active(hub_id, "corrupt", sent_at):
            payload = payload[: len(payload) // 2]  # cut off mid-message: not JSON any more
        at = sent_at + self._rng.uniform(*LATENCY_S)
        held = self.faults.active(hub_id, "out_of_order", sent_at)
        if held is not None:
            at += held.value
        render = partial(_rendered, edge_topic(hub_id), payload)
        self.outbox.push(at, render)
        if self.faults.active(hub_id, "duplicate", sent_at):
            self.outbox.push(at + self._rng.uniform(0.5, 5.0), render)  # QoS 1 redelivery
        replay = self.faults.active(hub_id, "replay", sent_at)
        if replay is not None:
            self.outbox.push(at + replay.value, render)


def _rendered(topic: str, payload: bytes, at: float) -> tuple[str, bytes, int]:
    return topic, payload, QOS
