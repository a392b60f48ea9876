"""The `herning` scenario: a town's containers generated from its parameters, not listed by hand.

Districts spread over the town; recycling points in each district carry glass and paper
igloos side by side; residual-waste bins stand along streets. Every draw comes from the seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tilsyn.sim.scenario import geo
from tilsyn.sim.scenario.collection import fixed_plan
from tilsyn.sim.scenario.lorawan_builder import LorawanBuilder
from tilsyn.sim.scenario.specs_waste import ContainerSpec, WasteKindParams
from tilsyn.sim.scenario.waste_params import firmware_params, kind_params, tourist_peak
from tilsyn.sim.seeding import python_stream

KIND_LETTER = {"glass": "g", "paper": "p", "residual": "r"}


@dataclass(frozen=True, slots=True)
class Site:
    site_id: str
    district: int
    lat: float
    lon: float
    heading: float  # direction along which containers line up, radians


def _districts(rng: random.Random, area: Mapping[str, Any]) -> list[tuple[float, float]]:
    lat0, lon0 = area["centre"]
    radius = float(area["radius_m"])
    centres = []
    for _ in range(int(area["districts"])):
        r, angle = radius * 0.8 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        centres.append(geo.offset(lat0, lon0, r * math.cos(angle), r * math.sin(angle)))
    return centres


def _recycling_points(
    rng: random.Random, area: Mapping[str, Any], centres: list[tuple[float, float]]
) -> list[Site]:
    sites = []
    for n in range(int(area["recycling_points"])):
        district = rng.randrange(len(centres))
        centre_lat, centre_lon = centres[district]
        lat, lon = geo.offset(centre_lat, centre_lon, rng.gauss(0, 550), rng.gauss(0, 550))
        heading = rng.uniform(0, math.pi)
        sites.append(Site(f"rp-{n + 1:03d}", district, lat, lon, heading))
    return sites


def _street_positions(
    rng: random.Random, area: Mapping[str, Any], centres: list[tuple[float, float]]
) -> Iterator[tuple[Site, float]]:
    """Endless bin positions: a street from near a district centre, bins every 60-160 m."""
    low, high = (float(v) for v in area["street_spacing_m"])
    for street in range(1_000_000):
        district = street % len(centres)
        centre_lat, centre_lon = centres[district]
        lat, lon = geo.offset(centre_lat, centre_lon, rng.gauss(0, 500), rng.gauss(0, 500))
        site = Site(f"st-{street + 1:03d}", district, lat, lon, rng.uniform(0, 2 * math.pi))
        along = 0.0
        for _ in range(rng.randint(3, 8)):
            along += rng.uniform(low, high)
            yield site, along


def _counts_per_site(rng: random.Random, total: int, sites: int) -> list[int]:
    """At least one container per site while the total allows, the rest spread at random."""
    counts = [1 if n < total else 0 for n in range(sites)]
    for _ in range(max(0, total - sites)):
        counts[rng.randrange(sites)] += 1
    return counts


def _pick_codec(rng: random.Random, mix: Mapping[str, float]) -> str:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


class _ContainerMaker:
    def __init__(self, seed: int, params: Mapping[str, Any], lorawan: LorawanBuilder) -> None:
        self.rng = python_stream(seed, "herning", "container-codecs")
        self.params, self.lorawan = params, lorawan
        self.housing = params["lorawan"]["housing_loss_db"]
        self.numbers = dict.fromkeys(KIND_LETTER, 0)
        self.made: list[ContainerSpec] = []

    def make(self, kind: WasteKindParams, site: Site, along_m: float) -> None:
        self.numbers[kind.kind] += 1
        container_id = f"herning-{KIND_LETTER[kind.kind]}{self.numbers[kind.kind]:04d}"
        position = geo.offset(
            site.lat, site.lon, along_m * math.cos(site.heading), along_m * math.sin(site.heading)
        )
        codec = _pick_codec(self.rng, kind.codec_mix)
        tags = {"container_id": container_id, "waste_kind": kind.kind, "site_id": site.site_id}
        application = self.lorawan.application(str(self.params["lorawan"]["application"]))
        loss = float(self.housing[kind.kind])
        identity = self.lorawan.add(container_id, codec, application, position, loss, tags)
        self.made.append(
            ContainerSpec(
                container_id=container_id,
                dev_eui=identity.dev_eui,
                device_name=identity.device_name,
                codec=codec,
                waste_kind=kind.kind,
                capacity_litres=kind.capacity_litres,
                empty_distance_mm=kind.empty_distance_mm,
                full_distance_mm=kind.full_distance_mm,
                lat=round(position[0], 6),
                lon=round(position[1], 6),
                reporting_interval_s=kind.reporting_interval_s,
                sample_interval_s=kind.sample_interval_s,
                site_id=site.site_id,
                district=site.district,
            )
        )


def build_herning(seed: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's fields (see `Scenario`) for the waste kind of scenario file."""
    kinds = {name: kind_params(name, raw) for name, raw in params["kinds"].items()}
    rng = python_stream(seed, "herning", "layout")
    area = params["area"]
    centres = _districts(rng, area)
    points = _recycling_points(rng, area, centres)
    lorawan = LorawanBuilder(seed, str(params["name"]), params["lorawan"])
    maker = _ContainerMaker(seed, params, lorawan)
    for kind_name in ("glass", "paper"):
        if kind_name in kinds:
            counts = _counts_per_site(rng, kinds[kind_name].count, len(points))
            for site, count in zip(points, counts, strict=True):
                offset = 3.0 if kind_name == "paper" else 0.0
                for n in range(count):
                    maker.make(kinds[kind_name], site, offset + 6.0 * n)
    if "residual" in kinds:
        streets = _street_positions(rng, area, centres)
        for _ in range(kinds["residual"].count):
            maker.make(kinds["residual"], *next(streets))
    containers = tuple(maker.made)
    return {
        "network": lorawan.build(),
        "firmware": firmware_params(params["firmware"]),
        "waste_kinds": kinds,
        "tourist_peaks": tuple(tourist_peak(p) for p in params.get("tourist_peaks", [])),
        "containers": containers,
        "collection": fixed_plan(seed, containers, kinds, params["collection"], centres),
    }
