"""The `ward` scenario: rooms, zones, dispensers and badges of hospital wards, from parameters.

Rooms line a corridor; every bed is a patient zone with a bedside dispenser, clean and
unclean rooms have a dispenser at the door. Each person on a shift wears a badge of their
role, so a ward has as many badges as people over its shifts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from tilsyn.sim.scenario import geo
from tilsyn.sim.scenario.lorawan_builder import LorawanBuilder
from tilsyn.sim.scenario.specs_hospital import (
    BadgeSpec,
    DispenserSpec,
    Role,
    RoleActivity,
    ShiftSpec,
    WardSpec,
    ZoneSpec,
    ZoneType,
)


class _WardBuilder:
    def __init__(self, seed: int, params: Mapping[str, Any]) -> None:
        self.params = params
        self.devices = params["devices"]
        self.lorawan = LorawanBuilder(seed, str(params["name"]), params["lorawan"])
        self.application = self.lorawan.application(str(params["lorawan"]["application"]))
        self.loss = params["lorawan"]["housing_loss_db"]
        self.zones: list[ZoneSpec] = []
        self.dispensers: list[DispenserSpec] = []
        self.badges: list[BadgeSpec] = []

    def _position(self, ward_index: int, slot: int) -> tuple[float, float]:
        lat, lon = self.params["hospital"]["location"]
        side = 1 if slot % 2 else -1  # rooms on both sides of the corridor, 5 m apart
        return geo.offset(lat, lon, 5.0 * (slot // 2), 6.0 * side + 40.0 * ward_index)

    def add_zone(self, ward: str, room: str, zone_type: ZoneType, name: str, where: Any) -> None:
        zone = ZoneSpec(len(self.zones) + 1, ward, room, zone_type, name)
        self.zones.append(zone)
        number = len(self.dispensers) + 1
        device_name = f"{ward}-dispenser-{number:03d}"
        tags = {"ward": ward, "room_id": room, "zone_type": zone_type}
        identity = self.lorawan.add(
            device_name,
            "hygiene-dispenser",
            self.application,
            where,
            float(self.loss["dispenser"]),
            tags,
        )
        self.dispensers.append(
            DispenserSpec(
                dispenser_id=number,
                dev_eui=identity.dev_eui,
                device_name=device_name,
                ward=ward,
                room_id=room,
                room_type=zone_type,
                zone_id=zone.zone_id,
                reporting_interval_s=int(self.devices["dispenser_reporting_interval_s"]),
                bottle_doses=int(self.devices["bottle_doses"]),
            )
        )

    def add_rooms(self, index: int, raw: Mapping[str, Any]) -> None:
        ward, slot = str(raw["ward_id"]), 0
        for room_number, beds in enumerate(raw["room_beds"], start=1):
            room = f"{ward}-p{room_number:02d}"
            for bed in range(int(beds)):
                name = f"stue {room_number} seng {bed + 1}"
                self.add_zone(ward, room, "patient_zone", name, self._position(index, slot))
            slot += 1
        for kind, key in (("clean_room", "clean_rooms"), ("unclean_room", "unclean_rooms")):
            for name in raw[key]:
                room = f"{ward}-{name}"
                self.add_zone(ward, room, cast(ZoneType, kind), name, self._position(index, slot))
                slot += 1

    def add_badges(self, index: int, ward: str, shifts: tuple[ShiftSpec, ...]) -> None:
        for shift in shifts:
            for role, count in shift.staffing.items():
                for _ in range(count):
                    name = f"{ward}-badge-{len(self.badges) + 1:03d}"
                    identity = self.lorawan.add(
                        name,
                        "hygiene-badge",
                        self.application,
                        self._position(index, 8),
                        float(self.loss["badge"]),
                        {"ward": ward, "role": role},
                    )
                    self.badges.append(BadgeSpec(identity.dev_eui, name, ward, cast(Role, role)))


def _shift(raw: Mapping[str, Any]) -> ShiftSpec:
    staffing = {str(role): int(n) for role, n in raw["staffing"].items()}
    return ShiftSpec(str(raw["name"]), float(raw["start_hour"]), float(raw["end_hour"]), staffing)


def _activity(role: str, raw: Mapping[str, Any]) -> RoleActivity:
    return RoleActivity(
        role=role,
        visits_per_hour={str(k): float(v) for k, v in raw["visits_per_hour"].items()},
        median_minutes={str(k): float(v) for k, v in raw["median_minutes"].items()},
        night_factor=float(raw["night_factor"]),
    )


def _ward(
    raw: Mapping[str, Any], hospital: str, activities: Mapping[str, RoleActivity]
) -> WardSpec:
    return WardSpec(
        ward_id=str(raw["ward_id"]),
        name=str(raw["name"]),
        hospital=hospital,
        compliance={str(k): float(v) for k, v in raw["compliance"].items()},
        compliance_window_s=float(raw["compliance_window_s"]),
        badge_detection_probability=float(raw["badge_detection_probability"]),
        visitor_uses_per_hour=float(raw["visitor_uses_per_hour"]),
        min_walk_s=float(raw["min_walk_s"]),
        shifts=tuple(_shift(s) for s in raw["shifts"]),
        activities=activities,
    )


def build_ward(seed: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's fields (see `Scenario`) for the hospital kind of scenario file."""
    activities = {role: _activity(role, raw) for role, raw in params["activities"].items()}
    builder = _WardBuilder(seed, params)
    wards = []
    for index, raw in enumerate(params["wards"]):
        ward = _ward(raw, str(params["hospital"]["name"]), activities)
        wards.append(ward)
        builder.add_rooms(index, raw)
        builder.add_badges(index, ward.ward_id, ward.shifts)
    return {
        "network": builder.lorawan.build(),
        "wards": tuple(wards),
        "zones": tuple(builder.zones),
        "dispensers": tuple(builder.dispensers),
        "badges": tuple(builder.badges),
    }
