"""Containers and planned routes as GeoJSON (RFC 7946) FeatureCollections for maps and GIS.

RFC 7946 positions are [longitude, latitude] in WGS 84, the reverse of how people say them;
every position here is written through `_position` so the order cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tilsyn.platform.containers.models import ContainerState
from tilsyn.platform.export.fiware import status


@dataclass(frozen=True)
class RouteStop:
    """A place a vehicle stops, in driving order; `load` is what it carries on leaving."""

    stop_id: str
    longitude: float
    latitude: float
    eta: datetime | None = None
    load: float | None = None

    def __post_init__(self) -> None:
        if not -180.0 <= self.longitude <= 180.0 or not -90.0 <= self.latitude <= 90.0:
            raise ValueError(f"{self.stop_id}: outside WGS 84 ({self.longitude}, {self.latitude})")


@dataclass(frozen=True)
class PlannedRoute:
    """One vehicle's route: its stops from start to end (depots included), length and load."""

    vehicle_id: str
    stops: Sequence[RouteStop]
    km: float
    load: float


def containers_feature_collection(states: Iterable[ContainerState]) -> dict[str, Any]:
    """One Point feature per container with its latest state as properties."""
    return _collection(_container_feature(state) for state in states)


def _container_feature(state: ContainerState) -> dict[str, Any]:
    properties = {
        "container_id": state.container_id,
        "waste_kind": state.waste_kind,
        "capacity_litres": state.capacity_litres,
        "address": state.address,
        "time": None if state.time is None else state.time.isoformat(),
        "fill_percent": state.fill_percent,
        "fill_at": None if state.fill_at is None else state.fill_at.isoformat(),
        "battery_percent": state.battery_percent,
        "temperature_c": state.temperature_c,
        "tilt": state.tilt,
        "status": status(state),
    }
    return _feature(state.container_id, _point(state.longitude, state.latitude), properties)


def routes_feature_collection(routes: Iterable[PlannedRoute]) -> dict[str, Any]:
    """Per route a LineString through its stops, then a Point per stop with its sequence."""
    features: list[dict[str, Any]] = []
    for route in routes:
        if len(route.stops) >= 2:  # a LineString needs two positions
            features.append(_route_line(route))
        features.extend(_stop_feature(route, index, stop) for index, stop in enumerate(route.stops))
    return _collection(features)


def _route_line(route: PlannedRoute) -> dict[str, Any]:
    geometry = {
        "type": "LineString",
        "coordinates": [_position(stop.longitude, stop.latitude) for stop in route.stops],
    }
    properties = {
        "kind": "route",
        "vehicle_id": route.vehicle_id,
        "km": route.km,
        "load": route.load,
        "stops": len(route.stops),
    }
    return _feature(f"route/{route.vehicle_id}", geometry, properties)


def _stop_feature(route: PlannedRoute, index: int, stop: RouteStop) -> dict[str, Any]:
    properties = {
        "kind": "stop",
        "vehicle_id": route.vehicle_id,
        "sequence": index,
        "stop_id": stop.stop_id,
        "eta": None if stop.eta is None else stop.eta.isoformat(),
        "load": stop.load,
    }
    feature_id = f"stop/{route.vehicle_id}/{index}"
    return _feature(feature_id, _point(stop.longitude, stop.latitude), properties)


def _collection(features: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(
    feature_id: str, geometry: dict[str, Any], properties: dict[str, Any]
) -> dict[str, Any]:
    return {"type": "Feature", "id": feature_id, "geometry": geometry, "properties": properties}


def _point(longitude: float, latitude: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": _position(longitude, latitude)}


def _position(longitude: float, latitude: float) -> list[float]:
    return [longitude, latitude]
