"""Registry entries the tests share."""

from __future__ import annotations

from typing import Any

from tilsyn.platform.containers.models import ContainerIn

# A 2,500-litre glass bank with an EM310-UDL mounted 3 m above the floor, full at 0.5 m.
USUAL: dict[str, Any] = {
    "waste_kind": "glass",
    "capacity_litres": 2500,
    "empty_distance_mm": 3000,
    "full_distance_mm": 500,
    "latitude": 56.1,
    "longitude": 8.9,
}


def sample_container(container_id: str, dev_eui: str, **changes: Any) -> ContainerIn:
    """A container for a test; `changes` override any of the usual fields."""
    return ContainerIn(container_id=container_id, dev_eui=dev_eui, **(USUAL | changes))
