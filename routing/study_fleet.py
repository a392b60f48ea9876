"""The trucks of the Herning study: one small fleet per kind of waste, since a truck carries one.

Volumes are litres of loose waste as it lies in the containers; a compacting body takes
several times its own volume of it, so its capacity here is body volume × compaction.
Depot and recycling centre are those of the synthetic Herning day (`herning`); residual waste
goes to a transfer station. Shifts run 06:00-15:00 with at most 8 hours on the road, and glass
igloos stand near homes: no glass is emptied in quiet hours (22:00-07:00).
"""

from __future__ import annotations

from dataclasses import dataclass

from tilsyn.routing.collection_day import Fleet
from tilsyn.routing.geo import Location
from tilsyn.routing.herning import HOUR, herning_fleet
from tilsyn.routing.waste import DisposalSite, Truck


@dataclass(frozen=True)
class KindService:
    """How one kind of waste is collected: trucks and tip, what a litre of it weighs, how
    long one emptying takes, and whether quiet hours apply to its containers."""

    kind: str
    fleet: Fleet
    density_kg_per_l: float
    service_s: int
    quiet: bool


def _trucks(prefix: str, depot: Location, litres: int, kilograms: int) -> tuple[Truck, ...]:
    return tuple(
        Truck(f"{prefix}-{n}", depot, litres, kilograms, 6 * HOUR, 15 * HOUR, 8 * HOUR)
        for n in (1, 2)
    )


def herning_services() -> dict[str, KindService]:
    base = herning_fleet(trucks=1)
    depot, quiet = base.trucks[0].depot, base.quiet_hours
    recycling = base.disposal_sites
    transfer = (
        DisposalSite("transfer-station", Location("transfer-station", 56.1290, 9.0050), 600),
    )
    return {
        # Crane trucks, 30 m³ open body: glass is not compacted; 10 t payload.
        "glass": KindService(
            "glass",
            Fleet(_trucks("glass", depot, 30_000, 10_000), recycling, quiet, 4),
            density_kg_per_l=0.30,
            service_s=240,
            quiet=True,
        ),
        # Crane trucks with a light press (2:1).
        "paper": KindService(
            "paper",
            Fleet(_trucks("paper", depot, 60_000, 10_000), recycling, quiet, 4),
            density_kg_per_l=0.06,
            service_s=240,
            quiet=False,
        ),
        # Rear loaders, 22 m³ body at 4:1 compaction; a 1,100 L bin takes 90 s.
        "residual": KindService(
            "residual",
            Fleet(_trucks("residual", depot, 88_000, 10_000), transfer, quiet, 4),
            density_kg_per_l=0.12,
            service_s=90,
            quiet=False,
        ),
    }
