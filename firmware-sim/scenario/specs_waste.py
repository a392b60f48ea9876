"""Registry records and physics parameters of waste containers (the `herning` scenario)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

WasteKind = Literal["glass", "paper", "residual"]
WASTE_KINDS: tuple[WasteKind, ...] = ("glass", "paper", "residual")


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    """One container with its fill sensor, as the platform's device registry must know it.

    Distances are what the ultrasonic sensor reads from the lid: `empty_distance_mm` to the
    bottom of an empty container, `full_distance_mm` at the brim (fill level 1.0). The fill
    fraction the platform derives is `(empty - d) / (empty - full)`, clipped to 0..1.
    `site_id` groups containers standing together (a recycling point or a street).
    """

    container_id: str
    dev_eui: str
    device_name: str
    codec: str
    waste_kind: WasteKind
    capacity_litres: float
    empty_distance_mm: int
    full_distance_mm: int
    lat: float
    lon: float
    reporting_interval_s: int
    sample_interval_s: int
    site_id: str
    district: int


@dataclass(frozen=True, slots=True)
class WasteKindParams:
    """How one kind of waste arrives, and the container and schedule that receive it.

    `fill_rate_litres_per_day` is the fleet mean (weekday factors average 1, seasonal factor
    averages 1 over a year); each container gets a log-normal multiplier with mean 1 and
    log-sd `rate_spread`, and each day a gamma-distributed factor with mean 1 and coefficient
    of variation `daily_noise_cv`. `hourly_profile` (24 weights, local time) spreads a day's
    deposits over its hours. `seasonal_peak_day` is the day of the year with the highest rate.
    """

    kind: WasteKind
    count: int
    capacity_litres: float
    empty_distance_mm: int
    full_distance_mm: int
    fill_rate_litres_per_day: float
    rate_spread: float
    daily_noise_cv: float
    weekday_factors: tuple[float, ...]
    seasonal_amplitude: float
    seasonal_peak_day: int
    hourly_profile: tuple[float, ...]
    collection_interval_days: int
    lifted_by_crane: bool
    codec_mix: Mapping[str, float]
    reporting_interval_s: int
    sample_interval_s: int


@dataclass(frozen=True, slots=True)
class TouristPeak:
    """Extra waste near a place during a yearly window (fairs, concerts, Christmas shopping).

    Containers within `radius_m` of (lat, lon) fill `factor` times faster from `start`
    to `end` inclusive, given as (month, day); windows may wrap over New Year.
    """

    name: str
    start: tuple[int, int]
    end: tuple[int, int]
    factor: float
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True, slots=True)
class SensorFirmwareParams:
    """Reporting rules and measurement quality shared by the fill sensors of a scenario.

    A sensor reports periodically, on change (distance moved by `change_threshold_fraction`
    of its range since the last report), and at once on an alarm: fill above
    `full_alarm_fraction` (re-armed below it minus `alarm_hysteresis_fraction`), tilt, or a
    temperature at or above `fire_temperature_c`. Alarms are sent as confirmed uplinks.
    """

    change_threshold_fraction: float
    full_alarm_fraction: float
    alarm_hysteresis_fraction: float
    fire_temperature_c: float
    measurement_noise_mm: float
    surface_noise_fraction: float
    spurious_echo_probability: float
    blind_zone_mm: int
    battery_capacity_mah: float
    sleep_current_ua: float
    sample_charge_mah: float
    tx_current_ma: float
    self_discharge_per_year: float


@dataclass(frozen=True, slots=True)
class CollectionSlot:
    """A container's place in the fixed collection plan: every `interval_weeks` weeks on
    `weekday` (Monday 0), in the weeks where `week_number % interval_weeks == week_offset`,
    as stop number `route_position` of its district's route that day.
    """

    container_id: str
    weekday: int
    interval_weeks: int
    week_offset: int
    route_position: int


@dataclass(frozen=True, slots=True)
class CollectionPlan:
    """The fixed weekly collection schedule the sensor-driven plan is compared against."""

    slots: tuple[CollectionSlot, ...]
    start_hour: float
    minutes_per_stop: Mapping[str, float]
