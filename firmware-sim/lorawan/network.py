"""Device MAC and network server: frame counters, confirmed retransmission, de-duplication,
Class A downlinks, and the delivery faults an integration sees.

A device counts every new uplink (lost ones too, so the platform sees gaps in fCnt). A
confirmed uplink that is not acknowledged is sent again with the same counter after the
receive windows; the network server publishes the first copy it gets and, like ChirpStack,
only logs later copies. Copies heard by several gateways become one event with several
`rxInfo` entries. Downlinks wait in a queue until the device's next uplink opens its
receive window, and stay queued until the device has heard them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from tilsyn.sim.faults import FaultBook
from tilsyn.sim.lorawan.delivery import Delivery
from tilsyn.sim.lorawan.radio import (
    MAX_PAYLOAD_BYTES,
    Link,
    adr_data_rate,
    airtime_s,
    links_for,
    receive,
    spreading_factor,
    usable,
)
from tilsyn.sim.lorawan.records import DeviceContext, Frame, LogRecord
from tilsyn.sim.scenario.specs_lorawan import NetworkSpec
from tilsyn.sim.seeding import python_stream

RX_WINDOWS_S = 2.0  # RX1 opens 1 s, RX2 2 s after the end of the uplink
ACK_TIMEOUT_S = (1.0, 3.0)  # LoRaWAN 1.0.x: random within this range after RX2


@dataclass(slots=True)
class Session:
    """The MAC state a device and the network server share."""

    device: DeviceContext
    links: list[Link]
    data_rate: int
    f_cnt: int = 0
    downlinks: deque[tuple[int, bytes]] = field(default_factory=deque)


@dataclass(frozen=True, slots=True)
class TxReport:
    """What the device learns from one uplink: how often it transmitted, and any downlink."""

    transmissions: int
    airtime_s: float
    delivered: bool
    downlinks: tuple[tuple[int, bytes], ...]


class LorawanNetwork:
    """All LoRaWAN devices of a simulation, their gateways and their network server."""

    def __init__(self, spec: NetworkSpec, seed: int, delivery: Delivery, faults: FaultBook) -> None:
        self.spec, self.delivery, self.faults = spec, delivery, faults
        self._rng = python_stream(seed, "lorawan", "air")
        shadowing = python_stream(seed, "lorawan", "shadowing")
        counters = python_stream(seed, "lorawan", "frame-counters")
        self.sessions: dict[str, Session] = {}
        for identity in spec.devices:
            links = links_for(identity, spec.gateways, spec.radio, shadowing)
            context = DeviceContext(
                identity, spec.applications[identity.application], spec.profiles[identity.profile]
            )
            rate = adr_data_rate(links, spec.radio)
            links = usable(links, spreading_factor(rate), spec.radio)
            # Devices have been on air long before the run: counters start mid-session.
            self.sessions[identity.dev_eui] = Session(
                context, links, rate, counters.randrange(20_000)
            )

    def max_payload(self, dev_eui: str) -> int:
        """The largest FRMPayload the device's data rate allows (it must split larger data)."""
        return MAX_PAYLOAD_BYTES[self.sessions[dev_eui].data_rate]

    def queue_downlink(self, dev_eui: str, f_port: int, data: bytes) -> None:
        """Queues a downlink for the device's next receive window (Class A)."""
        self.sessions[dev_eui].downlinks.append((f_port, bytes(data)))

    def transmit(
        self, dev_eui: str, at: float, f_port: int, payload: bytes, *, confirmed: bool
    ) -> TxReport:
        """One application uplink from its first transmission to its last retransmission."""
        session = self.sessions[dev_eui]
        f_cnt, session.f_cnt = session.f_cnt, (session.f_cnt + 1) & 0xFFFFFFFF
        if self.faults.active(dev_eui, "corrupt", at):
            payload = self._corrupted(payload)
        sf = spreading_factor(session.data_rate)
        frame = Frame(
            session.device,
            f_cnt,
            f_port,
            confirmed,
            payload,
            session.data_rate,
            airtime_s(sf, len(payload)),
        )
        attempts = self.spec.radio.max_transmissions if confirmed else 1
        start, delivered, sent = at, False, 0
        heard: tuple[tuple[int, bytes], ...] = ()
        for _ in range(attempts):
            sent += 1
            receptions = receive(session.links, sf, self.spec.radio, self._rng)
            received_at = start + frame.airtime_s
            if receptions and not delivered:
                self.delivery.uplink(frame, received_at, receptions)
                delivered = True
            elif receptions:
                self.delivery.log(_retransmission(session.device, received_at))
            if receptions and self._answered(session, confirmed):
                heard = (session.downlinks.popleft(),) if session.downlinks else ()
                break
            if not confirmed:
                break
            start = received_at + RX_WINDOWS_S + self._rng.uniform(*ACK_TIMEOUT_S)
        return TxReport(sent, frame.airtime_s * sent, delivered, heard)

    def _answered(self, session: Session, confirmed: bool) -> bool:
        """Whether the network server answered in a receive window and the device heard it."""
        if not (confirmed or session.downlinks):
            return False
        return self._rng.random() >= self.spec.radio.ack_loss_probability

    def _corrupted(self, payload: bytes) -> bytes:
        """A firmware-damaged payload: one byte short, or one stray byte too many. Every
        Tilsyn codec rejects both (the last block or record is cut, or trailing bytes)."""
        if len(payload) > 1 and self._rng.random() < 0.5:
            return payload[:-1]
        return payload + bytes([self._rng.getrandbits(8)])


def _retransmission(device: DeviceContext, at: float) -> LogRecord:
    return LogRecord(
        device=device,
        at=at,
        level="WARNING",
        code="UPLINK_F_CNT_RETRANSMISSION",
        description="Uplink was flagged as re-transmission / frame-counter did not increment",
    )
