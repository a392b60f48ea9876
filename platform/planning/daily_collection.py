"""The next collection day's plan, made without anyone asking.

Each afternoon at `collection_plan_at` (town time), on the last collection day before the
next one (Friday for Monday), the platform plans the next collection day and stores the plan
as made by "planner", so the operator finds tomorrow's routes ready; "Plan now" still
re-plans from fresher readings. A platform that was down then plans as soon as it is back.

A day that cannot be planned (the fleet file is broken, the checker refused the routes)
raises an operator alert saying why, and is tried again after `RETRY_AFTER`; the next plan
that is stored for that day resolves the alert. A plan that is stored but leaves containers
that must be emptied unserved (no trucks for their kind, no room in the shifts) raises the
same alert, saying which, until a plan that serves them is stored. Several platform processes
may run this: an advisory lock lets one of them plan a day, and the others find its plan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg

from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.alerts.models import Signal
from tilsyn.platform.alerts.store import apply_signals, notifications
from tilsyn.platform.background import Periodic
from tilsyn.platform.config import Settings
from tilsyn.platform.planning.collection import (
    collection_geojson,
    next_collection_start,
    plan_next_day,
    save_collection_plan,
)
from tilsyn.platform.planning.errors import PlanRejected
from tilsyn.routing.collection_fleet import FleetFileError

log = logging.getLogger(__name__)

PLANNER = "planner"
RETRY_AFTER = timedelta(minutes=15)
# Any constant that no other advisory lock of this database uses.
PLAN_LOCK = 0x7117_5900


def plan_due_at(day_starts: datetime, weekdays: Collection[int], plan_at: time) -> datetime:
    """When the plan for the collection day starting at `day_starts` (local midnight) is due:
    at `plan_at` on the collection day before it, a week back at most."""
    zone = day_starts.tzinfo
    before = next(
        day_starts - timedelta(days=n)
        for n in range(1, 8)
        if (day_starts - timedelta(days=n)).weekday() in weekdays or n == 7
    )
    return datetime.combine(before.date(), plan_at, zone)


def plan_if_due(conn: psycopg.Connection, settings: Settings, now: datetime) -> list[int]:
    """Plans the next collection day if its plan is due and none is stored; returns the
    alert outbox entries to announce. A planning error becomes the day's alert; database
    errors are left to the caller."""
    day = next_collection_start(now, settings.planning_timezone, settings.collection_weekdays)
    outbox = _close_begun_days(conn, day, now)
    if now >= plan_due_at(day, settings.collection_weekdays, settings.collection_plan_at):
        # Held to the end of the transaction: a second process waits here, then finds the plan.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PLAN_LOCK,))
        stored = _stored_plan_serves_all(conn, day)
        if stored is not None:
            if stored:  # "Plan now" may have mended it
                outbox += record_plan_outcome(conn, day, now, None)
        elif not _failed_since(conn, day, now - RETRY_AFTER):
            outbox += _plan(conn, settings, day, now)
    conn.commit()
    return outbox


def record_plan_outcome(
    conn: psycopg.Connection, day: datetime, now: datetime, failure: str | None
) -> list[int]:
    """The day's "no collection plan" alert: raised (again) with why, or resolved once a
    plan for the day is stored."""
    label = f"{day:%A %-d %B}"  # the day's local midnight
    title = f"No collection plan for {label}: {failure}" if failure else f"{label} planned"
    return apply_signals(conn, [_plan_alert(day.date(), now, failure, title)])


def record_stored_plan(
    conn: psycopg.Connection, day: datetime, now: datetime, geojson: dict[str, Any]
) -> list[int]:
    """The day's alert after a plan for it is stored: resolved if it serves every container
    that must be emptied, else raised saying which are left."""
    if geojson["feasible"]:
        return record_plan_outcome(conn, day, now, None)
    unserved = "; ".join(geojson["problems"]) or "see the plan"
    label = f"{day:%A %-d %B}"
    title = f"The collection plan for {label} leaves containers that must be emptied: {unserved}"
    return apply_signals(conn, [_plan_alert(day.date(), now, unserved, title)])


def _plan_alert(day: date, now: datetime, failure: str | None, title: str) -> Signal:
    """One alert per collection day, active while its plan fails."""
    return Signal(
        "collection_plan",
        day.isoformat(),
        "plan_failed",
        failure is not None,
        now,
        "warning",
        "operator",
        "",
        title,
        {"reason": failure} if failure else {},
    )


def _plan(conn: psycopg.Connection, settings: Settings, day: datetime, now: datetime) -> list[int]:
    try:
        geojson = collection_geojson(plan_next_day(conn, settings, now), now)
    except (PlanRejected, FleetFileError) as error:
        log.warning("no collection plan for %s: %s", day.date(), error)
        return record_plan_outcome(conn, day, now, str(error))
    except psycopg.Error:
        raise  # the database's trouble, not the plan's: the caller tries again
    except Exception as error:
        # A defect, or data it did not foresee: the operator must still hear that tomorrow
        # has no plan; the trace is in the log.
        log.exception("planning %s failed", day.date())
        return record_plan_outcome(conn, day, now, f"planning failed ({type(error).__name__})")
    save_collection_plan(conn, PLANNER, geojson)
    log.info("collection plan for %s: %s km", day.date(), geojson["km"])
    return record_stored_plan(conn, day, now, geojson)


def _close_begun_days(conn: psycopg.Connection, day: datetime, now: datetime) -> list[int]:
    """A day that has begun can no longer be planned: its alert is resolved, saying so, rather
    than escalating for ever."""
    begun = conn.execute(
        "SELECT entity_id FROM alerts WHERE entity_type = 'collection_plan'"
        " AND rule = 'plan_failed' AND state <> 'resolved' AND entity_id < %s",
        (day.date().isoformat(),),
    ).fetchall()
    signals = [
        _plan_alert(day_of, now, None, f"{day_of:%A %-d %B} began without a plan")
        for day_of in (date.fromisoformat(entity_id) for (entity_id,) in begun)
    ]
    return apply_signals(conn, signals) if signals else []


def _stored_plan_serves_all(conn: psycopg.Connection, day: datetime) -> bool | None:
    """Whether the plan in force for the day serves every container that must be emptied;
    None if the day has no plan."""
    row = conn.execute(
        "SELECT feasible FROM collection_plans WHERE day_starts = %s"
        " ORDER BY made_at DESC, plan_id DESC LIMIT 1",
        (day,),
    ).fetchone()
    return None if row is None else bool(row[0])


def _failed_since(conn: psycopg.Connection, day: datetime, since: datetime) -> bool:
    row = conn.execute(
        "SELECT 1 FROM alerts WHERE entity_type = 'collection_plan' AND entity_id = %s"
        " AND rule = 'plan_failed' AND state <> 'resolved' AND last_at > %s",
        (day.date().isoformat(), since),
    ).fetchone()
    return row is not None


class DailyCollectionPlanner(Periodic):
    """Looks every `every_seconds` whether the next collection day's plan is due, in a
    thread of its own, and announces the alert changes on the live streams. The first look
    comes after one interval: a platform just started (the demo's, say) is still taking in
    the readings that went unheard while it was down."""

    def __init__(
        self,
        database_url: str,
        settings: Settings,
        hub: NotificationHub | None = None,
        every_seconds: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__("collection planner", self.check, every_seconds, at_once=False)
        self._database_url = database_url
        self._settings = settings
        self._hub = hub
        self._clock = clock

    def check(self) -> None:
        with psycopg.connect(self._database_url) as conn:
            outbox = plan_if_due(conn, self._settings, self._clock())
            entries = notifications(conn, outbox)
        if self._hub is not None:
            self._hub.announce([Notification(*entry) for entry in entries])
