"""Distance to fill percentage from a container's registered geometry."""

from __future__ import annotations

import pytest

from tilsyn.platform.containers.geometry import Geometry


@pytest.mark.parametrize(
    ("distance", "fill"),
    [(3000, 0.0), (500, 100.0), (1750, 50.0), (2116, 35.4), (3500, 0.0), (100, 100.0)],
)
def test_fill_is_linear_between_the_marks_and_clamped(distance: int, fill: float) -> None:
    assert Geometry(empty_distance_mm=3000, full_distance_mm=500).fill_percent(distance) == fill


@pytest.mark.parametrize(("empty", "full"), [(500, 500), (400, 500), (500, -1)])
def test_impossible_geometry_is_refused(empty: int, full: int) -> None:
    with pytest.raises(ValueError, match="full distance"):
        Geometry(empty_distance_mm=empty, full_distance_mm=full)
