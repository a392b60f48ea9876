"""What the network server hands its integrations: an uplink event or a log event."""

from __future__ import annotations

from dataclasses import dataclass, field

from tilsyn.sim.lorawan.radio import Reception
from tilsyn.sim.scenario.specs_lorawan import ApplicationSpec, DeviceProfileSpec, LorawanIdentity


@dataclass(frozen=True, slots=True)
class DeviceContext:
    """A device with its application and profile, as the integration event describes it."""

    identity: LorawanIdentity
    application: ApplicationSpec
    profile: DeviceProfileSpec


@dataclass(frozen=True, slots=True)
class Frame:
    """One application uplink as the device's MAC sends it (every retransmission alike)."""

    device: DeviceContext
    f_cnt: int
    f_port: int
    confirmed: bool
    payload: bytes
    data_rate: int
    airtime_s: float


@dataclass(frozen=True, slots=True)
class UplinkRecord:
    """One de-duplicated uplink: all gateways' receptions of one transmission.

    `received_at` is when the first gateway finished receiving; `uplink_ids` are the
    gateways' own ids for their copies. `deduplication_id` is ChirpStack's idempotency key;
    The Things Stack's stable `as:up:` correlation id is derived from it.
    """

    device: DeviceContext
    f_cnt: int
    f_port: int
    confirmed: bool
    payload: bytes
    data_rate: int
    received_at: float
    receptions: tuple[Reception, ...]
    uplink_ids: tuple[int, ...]
    deduplication_id: str
    airtime_s: float
    adr: bool = True


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A network-server log event about a device (ChirpStack `event/log`)."""

    device: DeviceContext
    at: float
    level: str
    code: str
    description: str
    context: dict[str, str] = field(default_factory=dict)
