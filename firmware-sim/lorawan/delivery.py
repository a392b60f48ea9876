"""From network server to broker: latency, and the delivery faults integrations must survive.

A duplicate is the same event published twice (same deduplication id: a network server in
a high-availability pair, or a QoS 1 redelivery); an out-of-order delivery is an event held
back so that later uplinks overtake it; a replay is an old frame published again later with
the same frame counter and payload under a new deduplication id.
"""

from __future__ import annotations

import dataclasses
import random
from functools import partial
from typing import Protocol

from tilsyn.sim.faults import DEFAULT_MAGNITUDE, FaultBook
from tilsyn.sim.lorawan.radio import Reception
from tilsyn.sim.lorawan.records import Frame, LogRecord, UplinkRecord
from tilsyn.sim.outbox import Outbox
from tilsyn.sim.scenario.specs_lorawan import DeliveryNoise
from tilsyn.sim.seeding import IdFactory, python_stream

PROCESSING_S = (0.005, 0.05)
DUPLICATE_GAP_S = (0.05, 2.0)


class LorawanFormat(Protocol):
    """An integration's JSON rendering of network-server events."""

    name: str

    def up(self, record: UplinkRecord, at: float) -> tuple[str, bytes, int]: ...

    def log(self, record: LogRecord, at: float) -> tuple[str, bytes, int] | None: ...


class Delivery:
    """Turns received uplinks into records and schedules their publication."""

    def __init__(
        self,
        outbox: Outbox,
        formatter: LorawanFormat,
        faults: FaultBook,
        background: DeliveryNoise,
        dedup_delay_s: float,
        seed: int,
    ) -> None:
        self.outbox, self.formatter, self.faults = outbox, formatter, faults
        self.background, self.dedup_delay_s = background, dedup_delay_s
        self._ids = IdFactory(python_stream(seed, "lorawan", "ids"))
        self._rng: random.Random = python_stream(seed, "lorawan", "delivery")

    def _published_at(self, received_at: float) -> float:
        return received_at + self.dedup_delay_s + self._rng.uniform(*PROCESSING_S)

    def _happens(self, dev_eui: str, kind: str, at: float, probability: float) -> float | None:
        """The fault's magnitude if it strikes this uplink (injected, or background noise)."""
        fault = self.faults.active(dev_eui, kind, at)
        if fault is not None:
            return fault.value
        if probability and self._rng.random() < probability:
            return DEFAULT_MAGNITUDE.get(kind, 0.0)
        return None

    def uplink(self, frame: Frame, received_at: float, receptions: list[Reception]) -> None:
        """Publishes the first received copy of a frame (after the de-duplication window)."""
        record = UplinkRecord(
            device=frame.device,
            f_cnt=frame.f_cnt,
            f_port=frame.f_port,
            confirmed=frame.confirmed,
            payload=frame.payload,
            data_rate=frame.data_rate,
            received_at=received_at,
            receptions=tuple(receptions),
            uplink_ids=tuple(self._ids.uint32() for _ in receptions),
            deduplication_id=self._ids.uuid4(),
            airtime_s=frame.airtime_s,
        )
        self._schedule(record)

    def _schedule(self, record: UplinkRecord) -> None:
        eui, noise, at = record.device.identity.dev_eui, self.background, record.received_at
        published = self._published_at(at)
        held = self._happens(eui, "out_of_order", at, noise.out_of_order_probability)
        if held is not None:
            published += held * self._rng.uniform(0.8, 1.2)
        self.outbox.push(published, partial(self.formatter.up, record))
        if self._happens(eui, "duplicate", at, noise.duplicate_probability) is not None:
            again = published + self._rng.uniform(*DUPLICATE_GAP_S)
            self.outbox.push(again, partial(self.formatter.up, record))
        replay_after = self._happens(eui, "replay", at, noise.replay_probability)
        if replay_after is not None:
            self._replay(record, replay_after * self._rng.uniform(0.5, 1.5))

    def _replay(self, record: UplinkRecord, after_s: float) -> None:
        received_at = record.received_at + after_s
        replayed = dataclasses.replace(
            record,
            received_at=received_at,
            uplink_ids=tuple(self._ids.uint32() for _ in record.receptions),
            deduplication_id=self._ids.uuid4(),
        )
        self.outbox.push(self._published_at(received_at), partial(self.formatter.up, replayed))

    def log(self, record: LogRecord) -> None:
        context = {"deduplication_id": self._ids.uuid4()}
        logged = dataclasses.replace(record, context=context)
        self.outbox.push(self._published_at(record.at), partial(self.formatter.log, logged))
