"""A collection day's shifts and quiet hours keep to the wall clock on daylight-saving days:
the fleet file's 06:00-15:00 was counted as seconds from midnight, so on the last Sunday of
March the trucks started at 07:00 and on the last Sunday of October at 05:00."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tilsyn.routing.clock import clock
from tilsyn.routing.collection_day import on_the_clock, plan_collection_day
from tilsyn.routing.collection_fleet import herning_services
from tilsyn.routing.geo import Location
from tilsyn.routing.params import Stop
from tilsyn.routing.settings import RoutingSettings
from tilsyn.routing.waste_select import ContainerForecast, SelectionPolicy

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@pytest.mark.parametrize(
    ("day", "hours_to_six"),
    [((2026, 3, 29), 5), ((2026, 10, 25), 7), ((2026, 6, 14), 6)],
)
def test_a_shift_starts_at_six_on_the_wall_clock(
    day: tuple[int, int, int], hours_to_six: int
) -> None:
    origin = datetime(*day, tzinfo=COPENHAGEN)
    glass = herning_services()["glass"].fleet
    timed = on_the_clock(glass, origin)
    assert {t.shift_start for t in timed.trucks} == {hours_to_six * 3600}
    assert {clock(origin, t.shift_start) for t in timed.trucks} == {"06:00"}
    assert {clock(origin, t.shift_end) for t in timed.trucks} == {"15:00"}
    # Quiet hours 22:00-07:00: the morning's end and the evening's start, on the wall clock.
    assert sorted(clock(origin, s) for w in timed.quiet_hours for s in w) == [
        "07:00",
        "07:00",
        "22:00",
        "22:00",
    ]


def test_a_planned_route_starts_at_six_on_the_day_the_clocks_go_back() -> None:
    origin = datetime(2026, 10, 25, tzinfo=COPENHAGEN)
    glass = herning_services()["glass"].fleet
    here = glass.trucks[0].depot
    forecasts = [
        ContainerForecast(
            f"G{n}", Location(f"G{n}", here.lat + 0.01 * n, here.lon), 3000, 0.9, 0.01, quiet=True
        )
        for n in range(1, 4)
    ]
    day = plan_collection_day(
        origin, forecasts, glass, SelectionPolicy(), RoutingSettings().travel(), Stop(solutions=50)
    )
    (route,) = [r for r in day.plan.routes if r.visits]
    assert clock(origin, route.departure) >= "06:00"
    assert clock(origin, route.return_time) <= "15:00"
    emptied = [v for v in route.visits if v.kind == "container"]
    assert emptied and all(clock(origin, v.start) >= "07:00" for v in emptied), "quiet hours"
