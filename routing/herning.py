"""A synthetic Herning glass-collection day (DOMAIN.md §1), reproducible from a seed.

Bell containers of 2.5-3 m³ spread over the town, about a third of them next to homes (quiet
hours 22:00-07:00 apply), fill sensors giving today's level and a forecast rate; one crane
truck or two, a depot, and the glass reception at the recycling centre.
"""

from __future__ import annotations

import random

from tilsyn.routing.collection_day import Fleet
from tilsyn.routing.geo import Location
from tilsyn.routing.waste import DisposalSite, Truck
from tilsyn.routing.waste_select import ContainerForecast

HERNING_CENTRE = (56.1393, 8.9738)
HOUR = 3600


def herning_fleet(trucks: int = 2) -> Fleet:
    depot = Location("depot", 56.1180, 8.9540)
    site = DisposalSite("recycling-centre", Location("recycling-centre", 56.1525, 8.9350), 900)
    fleet = tuple(
        Truck(f"truck-{i + 1}", depot, 24_000, 8_000, 6 * HOUR, 15 * HOUR, 8 * HOUR)
        for i in range(trucks)
    )
    # Quiet hours on both sides of the day: 22:00 the evening before to 07:00, and from 22:00.
    return Fleet(fleet, (site,), quiet_hours=((-2 * HOUR, 7 * HOUR), (22 * HOUR, 31 * HOUR)))


def herning_forecasts(seed: int = 1, containers: int = 80) -> list[ContainerForecast]:
    rng = random.Random(seed)
    return [
        ContainerForecast(
            container_id=f"glass-{i + 1:03d}",
            location=Location(
                f"glass-{i + 1:03d}",
                HERNING_CENTRE[0] + rng.uniform(-0.04, 0.04),
                HERNING_CENTRE[1] + rng.uniform(-0.07, 0.07),
            ),
            capacity_l=rng.choice((2500, 3000)),
            fill=rng.uniform(0.1, 0.95),
            rate=rng.uniform(0.002, 0.02),
            rate_sd=rng.uniform(0.001, 0.006),
            service=rng.choice((240, 300, 420)),
            quiet=rng.random() < 0.35,
        )
        for i in range(containers)
    ]
