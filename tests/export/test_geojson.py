"""Containers and routes as RFC 7946 GeoJSON, positions as [longitude, latitude]."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from geojson_pydantic import FeatureCollection

from tilsyn.platform.containers.models import ContainerState
from tilsyn.platform.export.geojson import (
    PlannedRoute,
    RouteStop,
    containers_feature_collection,
    routes_feature_collection,
)

AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
# Herning lies at about 56.14 °N, 8.97 °E: swapped, it would be in the Indian Ocean.
HERNING_LAT, HERNING_LON = 56.1393, 8.9738


def state(container_id: str, lat: float, lon: float, **changes: Any) -> ContainerState:
    fields: dict[str, Any] = {
        "container_id": container_id,
        "dev_eui": "24e124710b423527",
        "waste_kind": "glass",
        "capacity_litres": 2500.0,
        "latitude": lat,
        "longitude": lon,
        "address": None,
        "empty_distance_mm": 3000,
        "full_distance_mm": 400,
        "time": AT,
        "distance_mm": 1900,
        "fill_percent": 42.3,
        "battery_percent": 91,
        "tilt": True,
        "temperature_c": 6.5,
    } | changes
    return ContainerState(**fields)


def test_containers_are_points_with_their_state() -> None:
    states = [
        state("g-1", HERNING_LAT, HERNING_LON),
        state("g-2", 56.15, 8.99, time=None, fill_percent=None, tilt=None),
    ]
    collection = containers_feature_collection(states)
    FeatureCollection.model_validate(collection)
    first, second = collection["features"]
    assert first["geometry"] == {"type": "Point", "coordinates": [HERNING_LON, HERNING_LAT]}
    assert first["id"] == "g-1"
    assert first["properties"]["fill_percent"] == 42.3
    assert first["properties"]["status"] == "dropped"
    assert first["properties"]["time"] == "2026-03-02T08:30:00+00:00"
    assert second["properties"]["time"] is None
    assert second["properties"]["status"] == "unknown"


def test_an_empty_fleet_is_an_empty_collection() -> None:
    collection = containers_feature_collection([])
    FeatureCollection.model_validate(collection)
    assert collection == {"type": "FeatureCollection", "features": []}


def route(vehicle: str, *points: tuple[float, float]) -> PlannedRoute:
    stops = [
        RouteStop(f"{vehicle}-s{i}", lon, lat, AT + timedelta(minutes=10 * i), load=100.0 * i)
        for i, (lat, lon) in enumerate(points)
    ]
    return PlannedRoute(vehicle, stops, km=12.5, load=100.0 * (len(points) - 1))


def test_routes_are_lines_through_their_stops_and_numbered_stop_points() -> None:
    depot = (56.12, 8.95)
    routes = [
        route("truck-1", depot, (HERNING_LAT, HERNING_LON), (56.15, 8.99), depot),
        route("truck-2", depot, (56.13, 8.96), depot),
    ]
    collection = routes_feature_collection(routes)
    FeatureCollection.model_validate(collection)
    lines = [f for f in collection["features"] if f["geometry"]["type"] == "LineString"]
    stops = [f for f in collection["features"] if f["geometry"]["type"] == "Point"]
    assert [line["properties"]["vehicle_id"] for line in lines] == ["truck-1", "truck-2"]
    assert lines[0]["geometry"]["coordinates"] == [
        [8.95, 56.12],
        [HERNING_LON, HERNING_LAT],
        [8.99, 56.15],
        [8.95, 56.12],
    ]
    assert lines[0]["properties"] == {
        "kind": "route",
        "vehicle_id": "truck-1",
        "km": 12.5,
        "load": 300.0,
        "stops": 4,
    }
    assert len(stops) == 7
    second = next(s for s in stops if s["id"] == "stop/truck-1/1")
    assert second["geometry"]["coordinates"] == [HERNING_LON, HERNING_LAT]
    assert second["properties"]["sequence"] == 1
    assert second["properties"]["eta"] == "2026-03-02T08:40:00+00:00"
    assert len({feature["id"] for feature in collection["features"]}) == 9


def test_a_single_stop_route_has_its_point_but_no_line() -> None:
    collection = routes_feature_collection([route("van", (HERNING_LAT, HERNING_LON))])
    FeatureCollection.model_validate(collection)
    assert [f["geometry"]["type"] for f in collection["features"]] == ["Point"]


def test_a_stop_outside_wgs84_is_refused() -> None:
    with pytest.raises(ValueError, match="WGS 84"):
        RouteStop("swapped?", longitude=8.97, latitude=156.14)
