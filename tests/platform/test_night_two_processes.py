"""Two `tilsyn serve` processes re-plan the same night: each has its own night service, and
the re-plans of one shift must still follow one another. A slow re-plan begun before an
urgent task arrived (here slow because its table service is: a distance table from a busy
OSRM takes a while) must not be stored over a quicker one that placed it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest
from night_seed import nurse, seed_shift, task
from psycopg_pool import ConnectionPool
from pydantic import TypeAdapter

from tilsyn.platform.auth.store import User
from tilsyn.platform.config import Settings
from tilsyn.platform.planning import night_store as store
from tilsyn.platform.planning.night_service import NightService
from tilsyn.routing.geo import Location
from tilsyn.routing.plans import Plan
from tilsyn.routing.travel import CachedTravel, HaversineSource, Leg

pytestmark = pytest.mark.integration
EAST, WEST, NORTH = (56.1393, 9.02), (56.1393, 8.93), (56.16, 8.98)
PLANS = TypeAdapter(Plan)


@dataclass(frozen=True)
class BusyTableService:
    """Distances as the haversine model gives them, after a wait."""

    wait_s: float

    def legs(
        self, origins: Sequence[Location], destinations: Sequence[Location]
    ) -> list[list[Leg]]:
        time.sleep(self.wait_s)
        return HaversineSource().legs(origins, destinations)


@pytest.fixture
def pools(database_url: str) -> Iterator[tuple[ConnectionPool, ConnectionPool]]:
    """One pool per process, as two servers on one database have."""
    with (
        ConnectionPool(database_url, min_size=1, max_size=4) as first,
        ConnectionPool(database_url, min_size=1, max_size=4) as second,
    ):
        yield first, second


def test_a_slow_re_plan_waits_for_the_other_process_instead_of_storing_over_it(
    database_url: str, pools: tuple[ConnectionPool, ConnectionPool]
) -> None:
    with psycopg.connect(database_url) as conn:
        shift_id = seed_shift(
            conn,
            [nurse("ane"), nurse("bo")],
            [task("T1", "Birk", 30, "Insulin", EAST), task("T2", "Sunds", 90, "Catheter", WEST)],
        )
    now = datetime.now(UTC)
    settings = Settings(night_plan_seconds=0.5, night_replan_seconds=0.2)
    slow = NightService(pools[0], settings, travel=CachedTravel(BusyTableService(wait_s=1.5)))
    quick = NightService(pools[1], settings)
    quick.view(User("ane", "", "night_nurse"), now)  # the plan in force

    slow_done = threading.Thread(
        target=slow.add_urgent,
        args=(shift_id, [task("U1", "Lind", 20, "Fall alarm", NORTH, window=120)], now),
    )
    slow_done.start()
    time.sleep(0.5)  # the slow process has read the night and is solving
    quick.add_urgent(shift_id, [task("U2", "Gjellerup", 20, "SpO2 82 %", WEST, window=120)], now)
    slow_done.join(timeout=30)

    with psycopg.connect(database_url) as conn:
        version, stored = store.latest_plan(conn, shift_id) or (0, None)
        placed = {t.task_id: t.nurse for t in store.shift_tasks(conn, shift_id)}
    served = set(PLANS.validate_python(stored).served_ids())
    assert {"U1", "U2"} <= served, f"plan {version} serves {sorted(served)}"
    assert placed["U1"] and placed["U2"], "both urgent tasks have a nurse"
    assert version == 3, "the shift start, then one re-plan per urgent task"
