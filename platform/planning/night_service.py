"""The night service: a plan when a shift's first nurse asks (or at shift start), task
actions, and a re-plan from the live state whenever an urgent task arrives or one is
cancelled, pushed to every open stream. A sweep (on alert notifications, and every minute)
keeps the running and the next shift in step with the alerts and retries failed planning.

Every plan is checked by the independent checker before it is stored; a plan that fails is
never served. Solving happens under one lock per service (the travel cache is not
thread-safe, and two re-plans of one shift must not interleave) and, for other processes on
the same database, a lock per shift held from reading the night to storing its plan; callers
on the event loop run these methods in a worker thread.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from pydantic import TypeAdapter

from tilsyn.platform.alerts.hub import Notification, NotificationHub
from tilsyn.platform.alerts.store import notifications, record_night_visit
from tilsyn.platform.auth.store import User, audit
from tilsyn.platform.config import Settings
from tilsyn.platform.planning import night_store as store
from tilsyn.platform.planning.alert_tasks import alert_tasks
from tilsyn.platform.planning.errors import NoPlanFound, NoShift, PlanRejected
from tilsyn.platform.planning.night_problem import (
    assignments,
    live_night,
    night_request,
    seconds_into,
)
from tilsyn.platform.planning.night_status import night_visit_news
from tilsyn.platform.planning.night_view import nurse_view, patients_shown, task_card
from tilsyn.platform.streams import Broadcast
from tilsyn.routing.checks import check_night_plan
from tilsyn.routing.geo import Location
from tilsyn.routing.nurse import LiveNight, NightPlanRequest
from tilsyn.routing.nurse_solver import replan_night, solve_night_plan
from tilsyn.routing.params import Stop
from tilsyn.routing.plans import Plan
from tilsyn.routing.settings import RoutingSettings
from tilsyn.routing.travel import CachedTravel

log = logging.getLogger(__name__)
PLANS = TypeAdapter(Plan)

Change = tuple[int, int]  # (shift id, revision): what open plan streams are told
# Changes a plan stream may fall behind before it is closed; the client reconnects and reads
# the plan as it is then.
STREAM_QUEUE = 100


class NightService:
    def __init__(
        self,
        pool: ConnectionPool,
        settings: Settings,
        streams: Broadcast[Change] | None = None,
        travel: CachedTravel | None = None,
        hub: NotificationHub | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._hub = hub  # where an alert's news of its night visit is announced
        self.streams: Broadcast[Change] = streams or Broadcast("night plan changes", STREAM_QUEUE)
        self._travel = travel or RoutingSettings().travel()
        self._lock = threading.RLock()

    # ---- what a nurse sees and does ----------------------------------------------------------

    def view(self, user: User, now: datetime) -> dict[str, Any]:
        """The nurse's route for her current (or next) shift, planned now if it has no plan."""
        with self._pool.connection() as conn:
            shift = store.shift_of_nurse(conn, user.username, now)
        if shift is None:
            raise NoShift(f"{user.username} has no night shift now or later")
        self.ensure_plan(shift.shift_id, now)
        return self.view_of_shift(user, shift.shift_id)

    def shift_id_of(self, user: User, now: datetime) -> int | None:
        """The shift the nurse sees now (`view`'s), if any."""
        with self._pool.connection() as conn:
            shift = store.shift_of_nurse(conn, user.username, now)
        return None if shift is None else shift.shift_id

    def view_of_shift(self, user: User, shift_id: int) -> dict[str, Any]:
        with self._pool.connection() as conn:
            shift = store.get_shift(conn, shift_id)
            latest = store.latest_plan(conn, shift_id)
            shown = nurse_view(
                shift, store.shift_tasks(conn, shift_id), user.username, latest and latest[0]
            )
            for patient_id in patients_shown(shown):
                audit(conn, user, "night_plan", patient_id, {"shift_id": shift_id})
        return shown

    def act(
        self, user: User, task_id: str, action: store.Action, now: datetime, at: datetime
    ) -> dict[str, Any]:
        """Acknowledge, start or finish a task of the nurse's shift, as pressed at `at` (a
        phone without signal sends later); returns the task's card. A repeat changes nothing."""
        with self._lock, self._pool.connection() as conn:
            shift_id = store.task_shift(conn, task_id)
            nurses = {n.username: n for n in store.shift_nurses(conn, shift_id)}
            if user.username not in nurses:
                raise store.TaskNotFound(f"no night task {task_id} on your shift")
            store.require_own(conn, task_id, action, user.username)
            if action in ("acknowledge", "start"):  # taking a task is setting off to do it
                store.require_competence(conn, task_id, nurses[user.username].competence)
            # Acknowledging a task on no route takes it, so no other nurse also sets off.
            taken = action == "acknowledge" and store.take(conn, task_id, user.username)
            changed = store.change_state(conn, task_id, action, at)
            if changed and action == "start":
                store.claim(conn, task_id, user.username)
            revision = store.bump_revision(conn, shift_id) if changed or taken else None
        if revision is not None:
            self.streams.publish((shift_id, revision))
        if changed and action == "done":
            self._refresh_etas(shift_id, now, f"{task_id} done")
        elif taken:  # her detour moves her later stops
            self._refresh_etas(shift_id, now, f"{task_id} taken by {user.username}")
        with self._pool.connection() as conn:
            task = next(t for t in store.shift_tasks(conn, shift_id) if t.task_id == task_id)
            if task.patient_id:
                audit(conn, user, "night_task", task.patient_id, {"task_id": task_id})
        return task_card(task)

    def _refresh_etas(self, shift_id: int, now: datetime, trigger: str) -> None:
        """A finished or taken task moves the clock on for the rest of the route: re-plan from
        here, keeping the promises, so the ETAs stay true. A failed re-plan keeps the old plan."""
        with self._lock:
            try:
                self._solve(shift_id, now, trigger)
            except PlanRejected:
                log.exception("ETAs of shift %d not refreshed", shift_id)

    # ---- planning ----------------------------------------------------------------------------

    def ensure_plan(self, shift_id: int, now: datetime) -> None:
        """Plan the shift if it has no plan yet (with its open critical alerts); else nothing."""
        self.add_urgent(shift_id, [], now)

    def add_urgent(self, shift_id: int, tasks: list[store.NewTask], now: datetime) -> list[str]:
        """Put urgent tasks on the shift and re-plan; returns the ids of those that are new."""
        with self._lock:
            with self._pool.connection() as conn:
                first = store.latest_plan(conn, shift_id) is None
                added = [t.task_id for t in tasks if store.add_task(conn, shift_id, t)]
                if first:
                    self._add_open_alerts(conn, shift_id)
            if added or first:
                self._plan(shift_id, now, f"urgent {', '.join(added)}" if added else "shift start")
            return added

    def _add_open_alerts(self, conn: psycopg.Connection, shift_id: int) -> None:
        """The shift's first plan takes every open critical alert, whatever made the plan
        (a nurse opening her phone, or a visit request): alerts raised while no plan existed,
        or before a restart, have had no task yet."""
        shift = store.get_shift(conn, shift_id)
        for task in alert_tasks(conn, shift, self._settings):
            store.add_task(conn, shift_id, task)

    def absorb_alerts(self, now: datetime) -> int:
        """The sweep, for the running shift and the one starting within the urgent time (an
        alert raised now is its work from its start, even if it was planned earlier): critical
        patient alerts with no task yet become urgent tasks, tasks whose alert was resolved
        are cancelled, and tasks planning failed on (or no plan has seen) are planned.
        Returns how many tasks are new."""
        within = timedelta(minutes=self._settings.night_urgent_within_minutes)
        with self._pool.connection() as conn:
            running = store.active_shift(conn, now, now + within)
            starting = store.starting_shift(conn, now, within)
        new = 0
        for shift in (s for s in (running, starting) if s is not None):
            try:
                new += self._sweep(shift, now)
            except NoShift as error:  # nurses not on the roster yet: said on the tasks
                log.warning("night shift %d not planned: %s", shift.shift_id, error)
            except Exception:  # one shift's failure must not keep the other's alerts waiting
                log.exception("night shift %d: sweep failed; the next one retries", shift.shift_id)
        return new

    def _sweep(self, shift: store.Shift, now: datetime) -> int:
        with self._lock:
            with self._pool.connection() as conn:
                cancelled = store.cancel_resolved_alert_tasks(conn, shift.shift_id, now)
                revision = store.bump_revision(conn, shift.shift_id) if cancelled else None
                tasks = alert_tasks(conn, shift, self._settings)
                unplaced = store.needs_planning(conn, shift.shift_id)
            if revision is not None:
                self.streams.publish((shift.shift_id, revision))
            added = self.add_urgent(shift.shift_id, tasks, now) if tasks else []
            if not added and (cancelled or unplaced):  # add_urgent re-planned if it added any
                trigger = f"cancelled {', '.join(cancelled)}" if cancelled else "retry"
                self._plan(shift.shift_id, now, trigger)
            return len(added)

    def _plan(self, shift_id: int, now: datetime, trigger: str) -> None:
        """Solve; if that fails, the tasks on no route say so instead of waiting without a
        reason, and the sweep retries them."""
        try:
            self._solve(shift_id, now, trigger)
        except Exception as error:
            why = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            with self._pool.connection() as conn:
                marked = store.say_planning_failed(conn, shift_id, why)
                revision = store.bump_revision(conn, shift_id) if marked else None
            if revision is not None:
                self.streams.publish((shift_id, revision))
            raise

    def _solve(self, shift_id: int, now: datetime, trigger: str) -> None:
        with store.planning_turn(self._pool, shift_id):  # other processes' re-plans
            self._solve_in_turn(shift_id, now, trigger)

    def _solve_in_turn(self, shift_id: int, now: datetime, trigger: str) -> None:
        with self._pool.connection() as conn:
            shift = store.get_shift(conn, shift_id)
            nurses = store.shift_nurses(conn, shift_id)
            tasks = store.shift_tasks(conn, shift_id)
            latest = store.latest_plan(conn, shift_id)
        if not nurses:
            raise NoShift(f"night shift {shift_id} has no nurses")
        zone = self._settings.planning_timezone
        live: LiveNight | None = None
        if latest is None:
            leave_at = max(0, seconds_into(shift, now))
            request = night_request(shift, nurses, tasks, leave_at, zone)
            budget = Stop(seconds=self._settings.night_plan_seconds)
            plan = solve_night_plan(request, self._travel, budget)
        else:
            planned = night_request(shift, nurses, tasks, 0, zone)
            in_force = PLANS.validate_python(latest[1])
            live = live_night(shift, planned, in_force, tasks, now, self._drive)
            request = live.request  # with the window of a stop a nurse is driving to held open
            plan = replan_night(
                live, self._travel, Stop(seconds=self._settings.night_replan_seconds)
            )
        self._check(request, plan, live)
        if latest is None and not plan.routes and not plan.feasible:
            # Stored, it would be the night's plan and nothing would look again.
            raise NoPlanFound(f"night shift {shift_id}: {'; '.join(plan.problems)}")
        if latest is not None and not plan.routes:
            # Nothing usable came back (the reasons say why): the plan in force stays.
            log.warning("re-plan of shift %d kept the old plan: %s", shift_id, plan.problems)
            self._explain_new(shift_id, plan, tasks)
            return
        placed = assignments(shift, request, plan)
        with self._pool.connection() as conn:
            store.save_plan(
                conn, shift_id, trigger, plan.feasible, PLANS.dump_python(plan, mode="json"), placed
            )
            revision = store.bump_revision(conn, shift_id)
            told = self._tell_alerts(conn, tasks, placed)
        self._announce(told)
        log.info(
            "night shift %d planned (%s): %d tasks on routes, %d left out, %.2f s",
            shift_id,
            trigger,
            len(plan.served_ids()),
            len(plan.dropped),
            plan.solve_seconds,
        )
        self.streams.publish((shift_id, revision))

    def _drive(self, start: Location, stop: Location) -> int:
        return self._travel.matrix([start, stop]).seconds[0][1]

    def _check(self, request: NightPlanRequest, plan: Plan, live: LiveNight | None) -> None:
        places = [*(n.base for n in request.nurses), *(t.location for t in request.tasks)]
        if live is not None:
            places += [s.position for s in live.on_road]
        problems = check_night_plan(request, plan, self._travel.matrix(places), live)
        if problems:
            log.error("night plan rejected by the checker: %s", problems)
            raise PlanRejected("; ".join(problems))

    def _explain_new(self, shift_id: int, plan: Plan, tasks: list[store.NightTask]) -> None:
        """Tasks on no route yet get the planner's reason, so none disappears silently."""
        dropped = {d.id: d.reason for d in plan.dropped}
        problem = "; ".join(plan.problems) or "not planned"
        reasons = [
            store.Assignment(t.task_id, None, None, None, dropped.get(t.task_id, problem))
            for t in tasks
            if t.nurse is None and t.to_plan
        ]
        with self._pool.connection() as conn:
            store.save_assignments(conn, reasons)
            revision = store.bump_revision(conn, shift_id)
            told = self._tell_alerts(conn, tasks, reasons)
        self._announce(told)
        self.streams.publish((shift_id, revision))

    def _tell_alerts(
        self,
        conn: psycopg.Connection,
        before: list[store.NightTask],
        placed: list[store.Assignment],
    ) -> list[tuple[int, str, dict[str, Any]]]:
        """Record on each alert whose task the plan now answers differently whether a nurse
        is coming (in the plan's transaction); the notifications to announce once committed."""
        outbox = [
            entry
            for alert_id, visit in night_visit_news(before, placed)
            for entry in record_night_visit(conn, alert_id, visit)
        ]
        return notifications(conn, outbox) if outbox else []

    def _announce(self, told: list[tuple[int, str, dict[str, Any]]]) -> None:
        if self._hub is not None and told:
            self._hub.announce([Notification(*entry) for entry in told])
