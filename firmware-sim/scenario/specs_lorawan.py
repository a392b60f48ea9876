"""Registry records of the LoRaWAN side: gateways, applications, device profiles, identities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class GatewaySpec:
    """A gateway; `gateway_id` is its EUI as 16 lowercase hex digits, as ChirpStack prints it."""

    gateway_id: str
    name: str
    lat: float
    lon: float
    altitude_m: float


@dataclass(frozen=True, slots=True)
class ApplicationSpec:
    """A ChirpStack application with its tenant, and the names of its Things Stack twin.

    `application_id` and `tenant_id` are ChirpStack UUIDs; `tts_application_id` and
    `tts_tenant_id` form the Things Stack topic `v3/{app}@{tenant}/devices/{device}/up`.
    """

    key: str
    application_id: str
    name: str
    tenant_id: str
    tenant_name: str
    tts_application_id: str
    tts_tenant_id: str


@dataclass(frozen=True, slots=True)
class DeviceProfileSpec:
    """A device profile: which codec decodes the device's bytes and on which fPort it sends."""

    key: str
    profile_id: str
    name: str
    codec: str
    f_port: int


@dataclass(frozen=True, slots=True)
class LorawanIdentity:
    """What the network server knows about one device.

    `dev_eui` is 16 lowercase hex digits; `dev_addr` 8 hex digits of the current session;
    `device_name` doubles as the Things Stack device id; `application` and `profile` are keys
    into `NetworkSpec.applications` / `.profiles`; `extra_loss_db` is what the housing costs
    the radio link (a metal container lid, a body wearing a badge).
    """

    dev_eui: str
    dev_addr: str
    device_name: str
    application: str
    profile: str
    lat: float
    lon: float
    extra_loss_db: float
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RadioParams:
    """Link budget and MAC parameters of one deployment (EU868).

    Path loss is log-distance: `path_loss_at_ref_db + 10 * exponent * log10(d / ref)`, plus a
    fixed log-normal shadowing per device-gateway pair and a per-uplink fading draw.
    """

    tx_power_dbm: float
    antenna_gain_db: float
    ref_distance_m: float
    path_loss_at_ref_db: float
    path_loss_exponent: float
    shadowing_sigma_db: float
    fading_sigma_db: float
    noise_floor_dbm: float
    installation_margin_db: float
    ack_loss_probability: float
    max_transmissions: int
    dedup_delay_s: float


@dataclass(frozen=True, slots=True)
class DeliveryNoise:
    """Background rates of delivery faults, per uplink, that a healthy production system sees."""

    duplicate_probability: float = 0.0
    out_of_order_probability: float = 0.0
    replay_probability: float = 0.0


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """The LoRaWAN network of a scenario: gateways, applications, profiles and devices."""

    gateways: tuple[GatewaySpec, ...]
    applications: Mapping[str, ApplicationSpec]
    profiles: Mapping[str, DeviceProfileSpec]
    devices: tuple[LorawanIdentity, ...]
    radio: RadioParams
    background: DeliveryNoise
