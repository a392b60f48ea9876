"""Registry records of a hospital ward: rooms, zones, dispensers and anonymous staff badges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

ZoneType = Literal["patient_zone", "clean_room", "unclean_room"]
ZONE_TYPES: tuple[ZoneType, ...] = ("patient_zone", "clean_room", "unclean_room")
Role = Literal["nurse", "doctor", "care_assistant", "therapist", "cleaner", "other"]


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    """A place whose entry or exit is a hand-hygiene opportunity.

    `zone_id` is the number badges report as `ref` in entry/exit events. Patient zones
    (around one bed) count on entry and on exit, clean rooms on entry, unclean rooms on exit.
    """

    zone_id: int
    ward: str
    room_id: str
    zone_type: ZoneType
    name: str


@dataclass(frozen=True, slots=True)
class DispenserSpec:
    """A dispenser with its LoRaWAN sensor; `dispenser_id` is what badges report as `ref`."""

    dispenser_id: int
    dev_eui: str
    device_name: str
    ward: str
    room_id: str
    room_type: ZoneType
    zone_id: int
    reporting_interval_s: int
    bottle_doses: int


@dataclass(frozen=True, slots=True)
class BadgeSpec:
    """A staff badge. It carries a role category only, never who wears it."""

    dev_eui: str
    device_name: str
    ward: str
    role: Role


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    """A shift (local hours, `end_hour` may pass midnight) and how many of each role work it."""

    name: str
    start_hour: float
    end_hour: float
    staffing: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class RoleActivity:
    """How often one role visits each kind of zone per hour on shift, and for how long.

    Rates are per hour for the day shift; `night_factor` scales them at night.
    Durations are log-normal with the given median minutes.
    """

    role: str
    visits_per_hour: Mapping[str, float]
    median_minutes: Mapping[str, float]
    night_factor: float


@dataclass(frozen=True, slots=True)
class WardSpec:
    """A ward with its compliance probability per zone type (the parameter tests check).

    A staff member acts on each opportunity with `compliance[zone_type]`; a badge notices a
    dispense with `badge_detection_probability`; a compliant dispense happens within
    `compliance_window_s` before an entry opportunity or after an exit opportunity.
    """

    ward_id: str
    name: str
    hospital: str
    compliance: Mapping[str, float]
    compliance_window_s: float
    badge_detection_probability: float
    visitor_uses_per_hour: float
    min_walk_s: float
    shifts: tuple[ShiftSpec, ...]
    activities: Mapping[str, RoleActivity]
