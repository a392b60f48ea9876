"""Patient alerts that send a night nurse: a critical alert about a patient, raised (or turned
critical) during a night shift, or shortly before it and left unacknowledged, becomes an
urgent task at the patient's home.

The alert engine's notifications are the trigger (`follow_alerts` listens to the hub), and a
sweep every minute besides; the database is the truth: each look takes every such alert that
has no task yet, so an alert missed by a stream that fell behind, or raised before a shift
that was already planned, is picked up at the next look.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from tilsyn.platform.alerts import store as alerts
from tilsyn.platform.alerts.hub import NotificationHub
from tilsyn.platform.background import in_thread_to_the_end
from tilsyn.platform.config import Settings
from tilsyn.platform.planning.night_store import NewTask, Shift
from tilsyn.platform.streams import next_within

log = logging.getLogger(__name__)
PLANNER = "night planner"  # the actor of what the planner writes on an alert

# Patient alerts go to home care by day; at night the night nurses answer the critical ones.
AUDIENCES = ("home_care", "night_nurse")
# How often the night work is looked over without a notification: a shift that starts, a
# plan that failed, a notification that never came.
SWEEP_SECONDS = 60.0


def alert_tasks(conn: psycopg.Connection, shift: Shift, settings: Settings) -> list[NewTask]:
    """Tasks for the shift's critical patient alerts that have none yet: those that became
    critical during the shift, and those that did within the urgent-visit time before it and
    that nobody has acknowledged (the day team handed over without taking them); these are
    due from the shift's start."""
    within = timedelta(minutes=settings.night_urgent_within_minutes)
    # An alert counts from when it became critical: one raised as a warning in the afternoon
    # that turns critical during the night calls for a nurse as much as a new one.
    rows = conn.execute(
        """SELECT a.alert_id, a.entity_id, a.title, c.critical_at, p.address, p.latitude,
                  p.longitude
           FROM alerts a JOIN patients p ON p.patient_id = a.entity_id
           CROSS JOIN LATERAL (
               SELECT coalesce(
                   (SELECT max(h.at) FROM alert_history h
                    WHERE h.alert_id = a.alert_id AND h.event = 'escalated'
                      AND h.detail->>'severity' = 'critical'),
                   a.first_at) AS critical_at) c
           WHERE a.entity_type = 'patient' AND a.severity = 'critical'
             AND a.state <> 'resolved' AND a.audience = ANY(%(audiences)s)
             AND c.critical_at < %(ends)s
             AND (c.critical_at >= %(starts)s
                  OR (a.state = 'open' AND c.critical_at >= %(starts)s - %(within)s))
             AND NOT EXISTS (SELECT 1 FROM night_tasks t WHERE t.alert_id = a.alert_id)
           ORDER BY a.alert_id""",
        {
            "audiences": list(AUDIENCES),
            "starts": shift.starts_at,
            "ends": shift.ends_at,
            "within": within,
        },
    ).fetchall()
    tasks = []
    for alert_id, patient_id, title, raised_at, address, lat, lon in rows:
        if lat is None:
            _say_no_nurse_was_sent(conn, alert_id, patient_id)
            continue
        due_from = max(raised_at, shift.starts_at)
        tasks.append(
            NewTask(
                task_id=f"alert-{alert_id}",
                location_name=address or patient_id,
                address=address or "",
                latitude=lat,
                longitude=lon,
                window_start=due_from,
                window_end=due_from + within,
                service_s=settings.night_urgent_service_minutes * 60,
                reason=f"Alert: {title}",
                source="alert",
                priority="urgent",
                urgent=True,
                patient_id=patient_id,
                alert_id=alert_id,
            )
        )
    return tasks


def _say_no_nurse_was_sent(conn: psycopg.Connection, alert_id: int, patient_id: str) -> None:
    """Nowhere to send a nurse: said once on the alert itself, where its audience sees it (and
    is notified), not only in the server's log."""
    said = conn.execute(
        "SELECT 1 FROM alert_history WHERE alert_id = %s AND event = 'commented' AND actor = %s",
        (alert_id, PLANNER),
    ).fetchone()
    if said is None:
        log.warning("alert %d: its patient has no home coordinates", alert_id)  # no patient id
        text = f"No night nurse sent: patient {patient_id} has no home location on record."
        alerts.comment(conn, alert_id, PLANNER, text)


def changes_night_work(payload: dict[str, Any]) -> bool:
    """A critical patient alert raised or escalated may call for a nurse; a patient alert
    resolved may call one off."""
    alert = payload.get("alert") or {}
    if alert.get("entity_type") != "patient":
        return False
    event = payload.get("event")
    return event == "resolved" or (
        event in ("raised", "escalated") and alert.get("severity") == "critical"
    )


async def follow_alerts(
    hub: NotificationHub, absorb: Callable[[datetime], int], every: float = SWEEP_SECONDS
) -> None:
    """Runs for the life of the server: on each alert that may change the night's work, and
    at least every `every` seconds, `absorb` (in a worker thread) sweeps the night: turns
    what is new into tasks, cancels what was resolved, and re-plans."""
    loop = asyncio.get_running_loop()
    while True:
        queue = hub.subscribe(AUDIENCES)
        try:
            due = loop.time() + every
            while True:
                try:
                    item = await next_within(queue, due - loop.time())
                except TimeoutError:
                    item = None
                else:
                    if item is None:
                        break  # too slow: subscribe again (the sweep catches up)
                    if not changes_night_work(item.payload):
                        continue
                try:
                    await in_thread_to_the_end(absorb, datetime.now(UTC))
                except Exception:
                    log.exception("night sweep failed; the next one retries")
                due = loop.time() + every
        finally:
            hub.unsubscribe(queue)
