"""A re-plan mid-shift starts each nurse from where she really is: a nurse driving to her next
stop keeps it (and the driving done counts), and a task she took off the planner's hands
delays the rest of her route by the detour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from night_seed import HERNING, nurse
from psycopg_pool import ConnectionPool

from tilsyn.platform.auth.store import User
from tilsyn.platform.config import Settings
from tilsyn.platform.planning import night_store as store
from tilsyn.platform.planning.night_service import NightService
from tilsyn.routing.geo import Location
from tilsyn.routing.settings import RoutingSettings

pytestmark = pytest.mark.integration
QUICK = Settings(night_plan_seconds=1.0, night_replan_seconds=0.5)
# Base in Herning between the two: east and west are 7 km of road apart, 11 minutes' drive.
EAST, NEAR_EAST, WEST = (56.1393, 9.02), (56.1405, 9.0215), (56.1393, 8.93)
ANE = User("ane", "", "night_nurse")
SHIFT_START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)


def at(minutes: float) -> datetime:
    return SHIFT_START + timedelta(minutes=minutes)


def visit(
    task_id: str,
    where: tuple[float, float],
    opens: float,
    closes: float,
    *,
    service: int = 15,
    urgent: bool = False,
) -> store.NewTask:
    """A task whose window opens and closes `opens` and `closes` minutes into the shift."""
    return store.NewTask(
        task_id=task_id,
        location_name=task_id,
        address=f"{task_id}vej 1, 7400 Herning",
        latitude=where[0],
        longitude=where[1],
        window_start=at(opens),
        window_end=at(closes),
        service_s=service * 60,
        reason="Supervision" if urgent else "Medicine",
        source="alert" if urgent else "schedule",
        priority="urgent" if urgent else "normal",
        urgent=urgent,
    )


def drive_minutes(a: tuple[float, float], b: tuple[float, float]) -> float:
    travel = RoutingSettings().travel()
    matrix = travel.matrix([Location("a", *a), Location("b", *b)])
    return matrix.seconds[0][1] / 60


@pytest.fixture
def pool(database_url: str) -> Iterator[ConnectionPool]:
    with ConnectionPool(database_url, min_size=1, max_size=4) as opened:
        yield opened


def one_nurse_shift(pool: ConnectionPool, *tasks: store.NewTask) -> tuple[int, NightService]:
    with pool.connection() as conn:
        shift_id = store.create_shift(
            conn, "night", SHIFT_START, SHIFT_START + timedelta(hours=9), [nurse("ane")]
        )
        for task in tasks:
            store.add_task(conn, shift_id, task)
    service = NightService(pool, QUICK)
    service.view(ANE, at(0))
    return shift_id, service


def tasks_of(pool: ConnectionPool, shift_id: int) -> dict[str, store.NightTask]:
    with pool.connection() as conn:
        return {t.task_id: t for t in store.shift_tasks(conn, shift_id)}


def east_done_then_alert_next_door(
    service: NightService, shift_id: int, *, done_at: float, alert_at: float, closes: float
) -> None:
    """Ane starts the east visit five minutes in and finishes it at `done_at`; an urgent task
    next door comes in at `alert_at`, to be seen to by `closes`."""
    service.act(ANE, "EAST", "start", at(5), at(5))
    service.act(ANE, "EAST", "done", at(done_at), at(done_at))
    alert = visit("ALERT", NEAR_EAST, alert_at, closes, service=5, urgent=True)
    service.add_urgent(shift_id, [alert], at(alert_at))


def order(task: store.NightTask) -> int:
    return task.route_order or 0


def test_a_nurse_driving_to_her_next_stop_keeps_it_when_an_urgent_task_comes_in(
    pool: ConnectionPool,
) -> None:
    """Ane has finished in the east and is five minutes into the drive west when an alert
    comes in next door to where she was. She is not turned around: the west visit stays
    first, its ETA counts the driving done, and the urgent task comes after it."""
    shift_id, service = one_nurse_shift(
        pool, visit("EAST", EAST, 0, 60), visit("WEST", WEST, 0, 240)
    )
    assert [t.task_id for t in sorted(tasks_of(pool, shift_id).values(), key=order)] == [
        "EAST",
        "WEST",
    ]
    east_done_then_alert_next_door(service, shift_id, done_at=20, alert_at=25, closes=85)

    tasks = tasks_of(pool, shift_id)
    west, alert = tasks["WEST"], tasks["ALERT"]
    assert (west.nurse, alert.nurse) == ("ane", "ane"), alert.unplanned_reason
    assert west.route_order is not None and alert.route_order is not None
    assert west.route_order < alert.route_order, "turned around on the way west"
    assert west.eta is not None
    left_east = at(20)
    on_time = left_east + timedelta(minutes=drive_minutes(EAST, WEST))
    assert abs((west.eta - on_time).total_seconds()) < 90, (
        f"west at {west.eta:%H:%M:%S}: the drive began at {left_east:%H:%M}, so about"
        f" {on_time:%H:%M:%S}"
    )


def test_before_she_has_to_leave_a_nurse_can_still_be_sent_elsewhere_first(
    pool: ConnectionPool,
) -> None:
    """Done in the east with an hour to spare before the west visit opens, Ane is not on the
    road yet: an alert next door is seen to first."""
    shift_id, service = one_nurse_shift(
        pool, visit("EAST", EAST, 0, 60), visit("WEST", WEST, 90, 240)
    )
    east_done_then_alert_next_door(service, shift_id, done_at=20, alert_at=25, closes=85)

    tasks = tasks_of(pool, shift_id)
    assert tasks["ALERT"].route_order == 1 and tasks["WEST"].route_order == 2


def test_a_stop_she_is_on_the_way_to_stays_hers_even_if_she_will_be_late(
    pool: ConnectionPool,
) -> None:
    """The west visit's window closes before Ane can get there; she set off all the same, so
    the re-plan keeps her going instead of failing on a stop it cannot move."""
    shift_id, service = one_nurse_shift(
        pool, visit("EAST", EAST, 0, 30), visit("WEST", WEST, 0, 40)
    )
    east_done_then_alert_next_door(service, shift_id, done_at=29, alert_at=30, closes=120)

    tasks = tasks_of(pool, shift_id)
    assert tasks["WEST"].route_order == 1 and tasks["WEST"].unplanned_reason is None
    assert tasks["ALERT"].nurse == "ane", tasks["ALERT"].unplanned_reason


def test_a_task_she_took_delays_the_rest_of_her_route_by_the_detour(
    pool: ConnectionPool,
) -> None:
    """An alert in the east that no one can reach in time is on no route; Ane takes it
    anyway. Her west visit can no longer begin when its window opens: its ETA moves to
    after the detour."""
    shift_id, service = one_nurse_shift(pool, visit("WEST", WEST, 30, 240))
    assert tasks_of(pool, shift_id)["WEST"].eta == at(30)
    service.add_urgent(shift_id, [visit("ALERT", EAST, 10, 11, urgent=True)], at(10))
    assert tasks_of(pool, shift_id)["ALERT"].nurse is None

    service.act(ANE, "ALERT", "acknowledge", at(12), at(12))

    west = tasks_of(pool, shift_id)["WEST"]
    free_in_the_east = at(12 + drive_minutes(HERNING, EAST) + 15)
    assert west.eta is not None
    assert west.eta >= free_in_the_east + timedelta(minutes=drive_minutes(EAST, WEST) - 1), (
        f"west at {west.eta:%H:%M}, but Ane is in the east until {free_in_the_east:%H:%M}"
    )


def test_a_care_assistant_cannot_take_a_task_that_needs_a_registered_nurse(
    pool: ConnectionPool,
) -> None:
    with pool.connection() as conn:
        shift_id = store.create_shift(
            conn,
            "night",
            SHIFT_START,
            SHIFT_START + timedelta(hours=9),
            [nurse("ane"), nurse("cai", "care_assistant")],
        )
        store.add_task(conn, shift_id, visit("WEST", WEST, 30, 240))
    service = NightService(pool, QUICK)
    service.view(ANE, at(0))
    service.add_urgent(shift_id, [visit("ALERT", EAST, 10, 11, urgent=True)], at(10))

    with pytest.raises(store.InvalidAction, match="needs a registered nurse"):
        service.act(User("cai", "", "night_nurse"), "ALERT", "acknowledge", at(12), at(12))
    assert tasks_of(pool, shift_id)["ALERT"].nurse is None
