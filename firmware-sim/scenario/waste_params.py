"""Reading the waste parameters of a scenario file into typed records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tilsyn.sim.scenario.specs_waste import (
    WASTE_KINDS,
    SensorFirmwareParams,
    TouristPeak,
    WasteKind,
    WasteKindParams,
)


def _normalised(values: list[float], target_mean: float, what: str) -> tuple[float, ...]:
    if any(v < 0 for v in values) or sum(values) <= 0:
        raise ValueError(f"{what} must be non-negative and not all zero")
    scale = target_mean * len(values) / sum(values)
    return tuple(v * scale for v in values)


def kind_params(kind: WasteKind | str, raw: Mapping[str, Any]) -> WasteKindParams:
    """One `[kinds.X]` table. Weekday factors are scaled to mean 1 and the hourly profile to
    sum 1, so `fill_rate_litres_per_day` stays the weekly mean whatever numbers are written."""
    if kind not in WASTE_KINDS:
        raise ValueError(f"unknown waste kind {kind!r}; known: {WASTE_KINDS}")
    weekday = [float(v) for v in raw["weekday_factors"]]
    hourly = [float(v) for v in raw["hourly_profile"]]
    if len(weekday) != 7 or len(hourly) != 24:
        raise ValueError(f"{kind}: need 7 weekday factors and 24 hourly weights")
    mix = {str(k): float(v) for k, v in raw["codec_mix"].items()}
    return WasteKindParams(
        kind=kind,
        count=int(raw["count"]),
        capacity_litres=float(raw["capacity_litres"]),
        empty_distance_mm=int(raw["empty_distance_mm"]),
        full_distance_mm=int(raw["full_distance_mm"]),
        fill_rate_litres_per_day=float(raw["fill_rate_litres_per_day"]),
        rate_spread=float(raw["rate_spread"]),
        daily_noise_cv=float(raw["daily_noise_cv"]),
        weekday_factors=_normalised(weekday, 1.0, f"{kind}.weekday_factors"),
        seasonal_amplitude=float(raw["seasonal_amplitude"]),
        seasonal_peak_day=int(raw["seasonal_peak_day"]),
        hourly_profile=_normalised(hourly, 1 / 24, f"{kind}.hourly_profile"),
        collection_interval_days=int(raw["collection_interval_days"]),
        lifted_by_crane=bool(raw["lifted_by_crane"]),
        codec_mix=dict(zip(mix, _normalised(list(mix.values()), 1 / len(mix), "mix"), strict=True)),
        reporting_interval_s=int(raw["reporting_interval_s"]),
        sample_interval_s=int(raw["sample_interval_s"]),
    )


def tourist_peak(raw: Mapping[str, Any]) -> TouristPeak:
    start, end, centre = raw["start"], raw["end"], raw["centre"]
    return TouristPeak(
        name=str(raw["name"]),
        start=(int(start[0]), int(start[1])),
        end=(int(end[0]), int(end[1])),
        factor=float(raw["factor"]),
        lat=float(centre[0]),
        lon=float(centre[1]),
        radius_m=float(raw["radius_m"]),
    )


def firmware_params(raw: Mapping[str, Any]) -> SensorFirmwareParams:
    return SensorFirmwareParams(**{key: value for key, value in raw.items()})
