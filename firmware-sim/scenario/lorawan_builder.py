"""Builds a scenario's LoRaWAN network: ids for gateways, applications, profiles and devices.

DevEUIs start with the vendor's IEEE prefix (Milesight 24E124, Dragino A84041; our own
hygiene devices use a locally administered prefix), DevAddrs lie in NetID 000000 as a
default ChirpStack allocates them. All of it is fixed by the seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tilsyn.sim.scenario.specs_lorawan import (
    ApplicationSpec,
    DeliveryNoise,
    DeviceProfileSpec,
    GatewaySpec,
    LorawanIdentity,
    NetworkSpec,
    RadioParams,
)
from tilsyn.sim.seeding import python_stream, stable_uuid

VENDOR_PREFIX = {
    "milesight-em310-udl": "24e124",
    "milesight-em400-udl": "24e124",
    "dragino-ldds75": "a84041",
    "tilsyn-hygiene-v1": "0a7153",
}
PROFILES = {  # key: (profile name, codec, fPort)
    "milesight-em310-udl": ("Milesight EM310-UDL", "milesight-em310-udl", 85),
    "milesight-em400-udl": ("Milesight EM400-UDL", "milesight-em400-udl", 85),
    "dragino-ldds75": ("Dragino LDDS75", "dragino-ldds75", 2),
    "hygiene-dispenser": ("Tilsyn hygiene dispenser v1", "tilsyn-hygiene-v1", 10),
    "hygiene-badge": ("Tilsyn staff badge v1", "tilsyn-hygiene-v1", 11),
}


class LorawanBuilder:
    """Collects devices one by one and hands out unique identities for them."""

    def __init__(self, seed: int, scenario: str, section: Mapping[str, Any]) -> None:
        self._seed, self._scenario, self._section = seed, scenario, section
        self._rng = python_stream(seed, scenario, "lorawan-ids")
        self._next_serial: dict[str, int] = {}
        self._dev_addrs: set[int] = set()
        self._devices: list[LorawanIdentity] = []
        self._applications: dict[str, ApplicationSpec] = {}

    def application(self, key: str) -> str:
        """Registers an application of the scenario's tenant and returns its key."""
        if key not in self._applications:
            tenant = str(self._section["tenant"])
            self._applications[key] = ApplicationSpec(
                key=key,
                application_id=stable_uuid(self._seed, self._scenario, "application", key),
                name=key,
                tenant_id=stable_uuid(self._seed, self._scenario, "tenant", tenant),
                tenant_name=tenant,
                tts_application_id=key,
                tts_tenant_id=str(self._section["tts_tenant"]),
            )
        return key

    def _dev_eui(self, codec: str) -> str:
        prefix = VENDOR_PREFIX[codec]
        if prefix not in self._next_serial:
            self._next_serial[prefix] = self._rng.randrange(1 << 36)
        serial = self._next_serial[prefix]
        self._next_serial[prefix] = serial + 1
        return f"{prefix}{serial:010x}"

    def _dev_addr(self) -> str:
        while (addr := self._rng.getrandbits(25)) in self._dev_addrs:
            pass
        self._dev_addrs.add(addr)
        return f"{addr:08x}"  # NetID type 0, NwkID 0: the top seven bits stay zero

    def add(
        self,
        name: str,
        profile: str,
        application: str,
        position: tuple[float, float],
        extra_loss_db: float,
        tags: Mapping[str, str],
    ) -> LorawanIdentity:
        identity = LorawanIdentity(
            dev_eui=self._dev_eui(PROFILES[profile][1]),
            dev_addr=self._dev_addr(),
            device_name=name,
            application=self.application(application),
            profile=profile,
            lat=position[0],
            lon=position[1],
            extra_loss_db=extra_loss_db,
            tags=dict(tags),
        )
        self._devices.append(identity)
        return identity

    def _gateways(self) -> tuple[GatewaySpec, ...]:
        rng = python_stream(self._seed, self._scenario, "gateway-ids")
        return tuple(
            GatewaySpec(
                # Raspberry-Pi based gateways derive their EUI from the MAC: b827eb + fffe + NIC.
                gateway_id=f"b827ebfffe{rng.getrandbits(24):06x}",
                name=str(entry["name"]),
                lat=float(entry["lat"]),
                lon=float(entry["lon"]),
                altitude_m=float(entry["altitude_m"]),
            )
            for entry in self._section["gateways"]
        )

    def _profiles(self) -> dict[str, DeviceProfileSpec]:
        used = {device.profile for device in self._devices}
        return {
            key: DeviceProfileSpec(
                key=key,
                profile_id=stable_uuid(self._seed, self._scenario, "profile", key),
                name=name,
                codec=codec,
                f_port=f_port,
            )
            for key, (name, codec, f_port) in PROFILES.items()
            if key in used
        }

    def build(self) -> NetworkSpec:
        radio = {key: value for key, value in self._section["radio"].items()}
        return NetworkSpec(
            gateways=self._gateways(),
            applications=dict(self._applications),
            profiles=self._profiles(),
            devices=tuple(self._devices),
            radio=RadioParams(**radio),
            background=DeliveryNoise(**self._section.get("background", {})),
        )
